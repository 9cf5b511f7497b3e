"""End to end through a real Celery worker subprocess on the ``mail`` queue."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from revo.accounts.models import User
from revo.mail.models import EmailKind, EmailMessage, EmailStatus
from revo.mail.services import (
    email_enqueue,
    email_outbox_sweep,
    email_retry,
    mail_settings_update,
)
from tests.fakes.smtp import FakeSMTPServer
from tests.mail.conftest import reload
from tests.workers import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def smtp() -> FakeSMTPServer:
    server = FakeSMTPServer().start()
    yield server
    server.stop()


def _worker_env(smtp: FakeSMTPServer, **extra: str) -> dict[str, str]:
    return {
        "MAIL_SANDBOX": "false",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "MAIL_RETRY_BASE_SECONDS": "0.2",
        "MAIL_RETRY_MAX_SECONDS": "1",
        **extra,
    }


def _status_is(message: EmailMessage, status: str) -> EmailMessage | None:
    current = reload(message)
    return current if current.status == status else None


def test_a_worker_sends_an_artifact_once_through_a_temporary_smtp_failure(
    committed_tenant, celery_worker, smtp
):
    celery_worker(queues=["mail"], env=_worker_env(smtp))
    mail_settings_update(business_hours_only=False, from_email="sales@worker.example")
    artifact = User.objects.get(email__startswith="admin@")
    smtp.script("451 4.3.0 Greylisted, try again")

    first = email_enqueue(
        to_email="buyer@example.com",
        subject="Hello from the worker",
        body_text="Hi",
        kind=EmailKind.OUTREACH,
        artifact=artifact,
    )
    again = email_enqueue(
        to_email="buyer@example.com",
        subject="Hello again",
        body_text="Hi",
        kind=EmailKind.OUTREACH,
        artifact=artifact,
    )

    sent = wait_until(lambda: _status_is(first, EmailStatus.SENT), timeout=30)
    assert again.pk == first.pk
    assert sent.attempts == 2
    assert "451" in sent.history.get(from_status="sending", to_status="queued").reason
    [received] = smtp.wait_for(1)
    assert received["Subject"] == "Hello from the worker"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Worker Ltd, 2 Queue Road, Berlin" in received.get_body(("plain",)).get_content()


def test_a_worker_killed_mid_delivery_leaves_a_message_for_a_person_never_a_blind_resend(
    committed_tenant, celery_worker, smtp
):
    env = _worker_env(smtp, EMAIL_TIMEOUT="60")
    worker = celery_worker(queues=["mail"], env=env)
    mail_settings_update(business_hours_only=False)
    smtp.script("stall:20")
    message = email_enqueue(
        to_email="ap@customer.example",
        subject="Invoice 2026-002",
        body_text="Attached.",
        kind=EmailKind.INVOICE,
    )
    assert smtp.stalled.wait(30), worker.log()[-3000:]

    worker.kill()

    stuck = reload(message)
    assert stuck.status == EmailStatus.SENDING
    result = email_outbox_sweep(now=stuck.claimed_at + timedelta(hours=1))
    failed = reload(message)
    assert result.outcome_unknown == 1
    assert failed.status == EmailStatus.FAILED
    assert failed.outcome_unknown
    assert smtp.messages == []

    # a person checked the provider's log and decides to send it again
    celery_worker(queues=["mail"], env=env)
    email_retry(message=failed)

    wait_until(lambda: _status_is(message, EmailStatus.SENT), timeout=30)
    assert len(smtp.wait_for(1)) == 1


def test_a_send_task_delivered_twice_to_two_workers_sends_one_email(
    committed_tenant, celery_worker, smtp
):
    from revo.mail.tasks import send_email

    env = _worker_env(smtp)
    celery_worker(queues=["mail"], env=env)
    celery_worker(queues=["mail"], env=env)
    mail_settings_update(business_hours_only=False)
    smtp.script("stall:1")  # keep the first delivery open while the copy arrives
    message = email_enqueue(
        to_email="buyer@example.com", subject="Once", body_text="Hi", kind=EmailKind.NOTIFICATION
    )

    # the broker redelivers the same task (e.g. after a visibility timeout)
    send_email.apply_async(args=[message.pk, str(message.dispatch_id)])
    send_email.apply_async(args=[message.pk, str(message.dispatch_id)])

    sent = wait_until(lambda: _status_is(message, EmailStatus.SENT), timeout=30)
    time.sleep(2)  # give any duplicate the time it would need to arrive
    assert len(smtp.messages) == 1
    assert sent.attempts == 1
    assert sent.history.filter(to_status="sending").count() == 1


def test_mail_tasks_refuse_to_run_outside_a_tenant(db):
    """(Also makes pytest-django create the test database when this module runs alone.)"""
    from revo.mail.tasks import sweep_outbox

    with pytest.raises(RuntimeError, match="inside a tenant"):
        sweep_outbox.apply().get()
