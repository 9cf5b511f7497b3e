from __future__ import annotations

from datetime import timedelta

import pytest

from revo.mail.models import EmailKind, EmailStatus
from revo.mail.services import (
    DeliverOutcome,
    email_enqueue,
    email_outbox_sweep,
    email_retry,
    retry_delay,
)
from tests.mail.conftest import WEDNESDAY_10_BERLIN, deliver, reload


def _notice():  # noqa: ANN202
    return email_enqueue(
        to_email="ap@customer.example",
        subject="Payment reminder",
        body_text="Invoice 7 is overdue.",
        kind=EmailKind.DUNNING,
    )


@pytest.mark.parametrize(
    ("reply", "expected_error"),
    [
        pytest.param("451 4.3.0 Mailbox busy, try later", "451", id="data-4xx"),
        pytest.param("rcpt:452 4.2.2 Mailbox full", "452", id="rcpt-4xx"),
    ],
)
def test_a_temporary_smtp_failure_waits_with_backoff_then_sends_once(
    mail_config, smtp_server, reply, expected_error
):
    smtp_server.script(reply)
    message = _notice()

    first = deliver(message)

    waiting = reload(message)
    assert first == DeliverOutcome.RETRYING
    assert waiting.status == EmailStatus.QUEUED
    assert waiting.attempts == 1
    assert expected_error in waiting.error
    assert waiting.not_before > WEDNESDAY_10_BERLIN
    assert smtp_server.messages == []
    assert deliver(message) == DeliverOutcome.WAITING  # not due yet

    second = deliver(message, now=waiting.not_before + timedelta(seconds=1))

    assert second == DeliverOutcome.SENT
    sent = reload(message)
    assert sent.status == EmailStatus.SENT
    assert sent.attempts == 2
    assert len(smtp_server.wait_for(1)) == 1
    assert list(sent.history.values_list("to_status", flat=True)) == [
        "queued", "sending", "queued", "sending", "sent"
    ]  # fmt: skip


def test_a_refused_connection_is_retried(mail_config, smtp_server):
    smtp_server.refuse_connections()
    message = _notice()

    outcome = deliver(message)

    waiting = reload(message)
    assert outcome == DeliverOutcome.RETRYING
    assert waiting.status == EmailStatus.QUEUED
    assert "connection failed" in waiting.error
    smtp_server.start()
    assert deliver(message, now=waiting.not_before) == DeliverOutcome.SENT
    assert len(smtp_server.wait_for(1)) == 1


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param("550 5.7.1 Message rejected as spam", id="data-5xx"),
        pytest.param("rcpt:550 5.1.1 No such user", id="rcpt-5xx"),
    ],
)
def test_a_permanent_smtp_failure_fails_at_once_without_retry(mail_config, smtp_server, reply):
    smtp_server.script(reply)
    message = _notice()

    outcome = deliver(message)

    failed = reload(message)
    assert outcome == DeliverOutcome.FAILED
    assert failed.status == EmailStatus.FAILED
    assert failed.attempts == 1
    assert "550" in failed.error
    assert "permanent" in failed.error
    assert failed.dispatch_id is None
    assert smtp_server.messages == []


def test_temporary_failures_give_up_after_the_last_attempt(mail_config, smtp_server, settings):
    settings.MAIL_MAX_ATTEMPTS = 3
    smtp_server.script(*["421 4.4.2 Timeout"] * 3)
    message = _notice()
    now = WEDNESDAY_10_BERLIN

    outcomes = []
    for _ in range(3):
        outcomes.append(deliver(message, now=now))
        now += timedelta(hours=2)

    failed = reload(message)
    assert outcomes == [DeliverOutcome.RETRYING, DeliverOutcome.RETRYING, DeliverOutcome.FAILED]
    assert failed.status == EmailStatus.FAILED
    assert failed.error.startswith("gave up after 3 attempts")
    assert failed.history.filter(to_status="sending").count() == 3


@pytest.mark.parametrize("attempt", [1, 2, 5, 30], ids=lambda n: f"attempt-{n}")
def test_backoff_grows_exponentially_with_jitter_and_is_bounded(settings, attempt):
    settings.MAIL_RETRY_BASE_SECONDS = 10
    settings.MAIL_RETRY_MAX_SECONDS = 300
    full = min(10 * 2 ** (attempt - 1), 300)

    delays = [retry_delay(attempt) for _ in range(50)]

    assert all(full * 0.5 <= delay <= full for delay in delays)
    assert len(set(delays)) > 1


def test_a_message_stuck_in_sending_is_failed_as_outcome_unknown_not_resent(
    mail_config, smtp_server, settings
):
    settings.MAIL_SENDING_STALE_SECONDS = 120
    message = _notice()
    # a worker claimed it, then died before recording the outcome
    from revo.mail.services.delivery import _claim

    _claim(message.pk, str(message.dispatch_id), WEDNESDAY_10_BERLIN)
    assert reload(message).status == EmailStatus.SENDING
    too_early = email_outbox_sweep(now=WEDNESDAY_10_BERLIN + timedelta(seconds=60))

    result = email_outbox_sweep(now=WEDNESDAY_10_BERLIN + timedelta(seconds=180))

    stuck = reload(message)
    assert too_early.outcome_unknown == 0
    assert result.outcome_unknown == 1
    assert stuck.status == EmailStatus.FAILED
    assert stuck.outcome_unknown
    assert message.message_id in stuck.error
    assert deliver(message) == DeliverOutcome.SKIPPED
    assert smtp_server.messages == []


def test_a_person_retries_a_failed_message_and_it_is_sent(mail_config, smtp_server, tenant):
    from revo.accounts.models import User

    smtp_server.script("554 5.0.0 Transaction failed")
    message = _notice()
    deliver(message)
    admin = User.objects.get(email="admin@test.example")

    email_retry(message=reload(message), by=admin)
    outcome = deliver(message)

    sent = reload(message)
    assert outcome == DeliverOutcome.SENT
    assert sent.status == EmailStatus.SENT
    assert sent.history.filter(from_status="failed", to_status="queued", by=admin).exists()
    assert len(smtp_server.wait_for(1)) == 1


def test_the_sweeper_redispatches_a_queued_message_whose_task_was_lost(
    mail_config, django_capture_on_commit_callbacks
):
    message = _notice()
    lost_dispatch = message.dispatch_id
    later = message.updated_at + timedelta(hours=1)

    with django_capture_on_commit_callbacks() as callbacks:
        result = email_outbox_sweep(now=later)

    assert result.redispatched == 1
    assert len(callbacks) == 1
    assert reload(message).dispatch_id != lost_dispatch
    assert reload(message).status == EmailStatus.QUEUED


def test_a_message_whose_attachment_vanished_fails_with_the_reason(mail_config, smtp_server):
    from revo.mail.services import AttachmentInput

    message = email_enqueue(
        to_email="ap@customer.example",
        subject="Invoice",
        body_text="Attached.",
        kind=EmailKind.INVOICE,
        attachments=[AttachmentInput("invoice.pdf", b"%PDF-1.4 tiny")],
    )
    stored = message.attachments.get()
    stored.file.storage.delete(stored.file.name)

    outcome = deliver(message)

    failed = reload(message)
    assert outcome == DeliverOutcome.FAILED
    assert failed.status == EmailStatus.FAILED
    assert "could not be built" in failed.error
    assert not failed.outcome_unknown
    assert smtp_server.messages == []
