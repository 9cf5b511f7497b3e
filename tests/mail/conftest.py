from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from revo.mail.models import EmailMessage
from revo.mail.services import DeliverOutcome, email_deliver, mail_settings_update
from tests.fakes.smtp import FakeSMTPServer
from tests.workers import celery_worker, committed_tenant  # noqa: F401 - fixtures

# A Wednesday, 10:00 in Berlin: inside the default business hours.
WEDNESDAY_10_BERLIN = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def smtp_server(settings) -> Iterator[FakeSMTPServer]:
    """A real SMTP server on loopback, and the outbox pointed at it (sandbox off)."""
    server = FakeSMTPServer().start()
    settings.MAIL_SANDBOX = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def sandbox(settings, tmp_path, monkeypatch) -> Path:
    """Sandbox mode with REVO_HOME in a temporary directory; returns the tenant's outbox."""
    settings.MAIL_SANDBOX = True
    monkeypatch.setenv("REVO_HOME", str(tmp_path))
    return tmp_path / "outbox" / "test"


@pytest.fixture
def mail_config(tenant):  # noqa: ANN201
    return mail_settings_update(
        from_name="Test Sales",
        from_email="sales@test.example",
        reply_to="replies@test.example",
    )


def deliver(message: EmailMessage, *, now: datetime = WEDNESDAY_10_BERLIN) -> DeliverOutcome:
    """Run the send task's service for the message's current dispatch, at ``now``."""
    current = EmailMessage.objects.get(pk=message.pk)
    return email_deliver(message_id=current.pk, dispatch_id=str(current.dispatch_id), now=now)


def reload(message: EmailMessage) -> EmailMessage:
    return EmailMessage.objects.get(pk=message.pk)
