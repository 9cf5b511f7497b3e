from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from revo.mail.models import EmailKind, EmailStatus
from revo.mail.services import email_enqueue, mail_settings_update
from revo.mail.services.delivery import _claim
from tests.mail.conftest import reload


def test_mail_sweep_fails_stuck_messages_in_each_tenant(mail_config, sandbox, capsys, settings):
    settings.MAIL_SENDING_STALE_SECONDS = 0
    mail_settings_update(business_hours_only=False)
    message = email_enqueue(
        to_email="x@example.com", subject="Stuck", body_text="Hi", kind=EmailKind.NOTIFICATION
    )
    _claim(message.pk, str(message.dispatch_id), timezone.now() - timedelta(minutes=5))

    call_command("mail_sweep")

    connection.set_schema("test")
    assert reload(message).status == EmailStatus.FAILED
    assert reload(message).outcome_unknown
    output = capsys.readouterr().out
    assert "test: 1 outcome unknown" in output
    assert "other: 0 outcome unknown" in output


def test_mail_sweep_refuses_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="no active tenant"):
        call_command("mail_sweep", tenant="nobody")
