"""The data step that moves emails held back by their artifact out of ``suppressed``."""

from __future__ import annotations

import importlib

from django.apps import apps

from revo.mail.models import EmailKind, EmailMessage, EmailStatus, EmailStatusChange
from revo.mail.services import email_enqueue

step = importlib.import_module("revo.mail.migrations.0002_email_cancelled_reason")


def _recorded_before(to_email: str, reason: str) -> EmailMessage:
    """A message as the outbox recorded it before ``cancelled`` carried veto reasons."""
    message = email_enqueue(
        to_email=to_email, subject="Hi", body_text="Hi", kind=EmailKind.NOTIFICATION
    )
    EmailMessage.objects.filter(pk=message.pk).update(status=EmailStatus.SUPPRESSED)
    message.history.create(from_status="queued", to_status="suppressed", reason=reason)
    return message


def test_emails_held_back_by_their_artifact_become_cancelled_with_the_reason(mail_config):
    # given one email held back by its artifact and one suppressed by the list, both recorded
    # as suppressed
    held = _recorded_before("held@example.com", "held back by its artifact: invoice paid")
    listed = _recorded_before("listed@example.com", "recipient suppressed (bounced)")

    # when the data step runs
    step.held_emails_cancelled(apps, None)

    # then only the held one is cancelled, with its reason, history included
    held = EmailMessage.objects.get(pk=held.pk)
    assert (held.status, held.cancel_reason) == (
        EmailStatus.CANCELLED,
        "held back by its artifact: invoice paid",
    )
    assert held.history.order_by("pk").last().to_status == EmailStatus.CANCELLED
    listed = EmailMessage.objects.get(pk=listed.pk)
    assert (listed.status, listed.cancel_reason) == (EmailStatus.SUPPRESSED, "")
    assert listed.history.order_by("pk").last().to_status == EmailStatus.SUPPRESSED


def test_the_data_step_reverses(mail_config):
    held = _recorded_before("held@example.com", "held back by its artifact: lead deleted")
    step.held_emails_cancelled(apps, None)

    step.cancelled_emails_back(apps, None)

    back = EmailMessage.objects.get(pk=held.pk)
    assert (back.status, back.cancel_reason) == (EmailStatus.SUPPRESSED, "")
    assert EmailStatusChange.objects.filter(message_id=held.pk, to_status="cancelled").count() == 0
