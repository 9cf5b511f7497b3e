"""Sending one outbox message, exactly once, and sweeping what a crash left behind.

``email_deliver`` is what the Celery task calls:

1. In a short transaction (row lock + the tenant's claim lock): check the task is the
   message's current dispatch and the message is still ``queued``, re-check the suppression
   list (a hit: ``suppressed``), ask the artifact's veto (a veto: ``cancelled``, the veto's
   reason in ``cancel_reason``), re-check business hours and limits (waiting →
   re-dispatched with a countdown, never dropped), then mark it ``sending`` and commit.
2. Outside any transaction: hand it to SMTP (or the sandbox).
3. In a second short transaction: record ``sent``, a retry with backoff, or ``failed``.

A worker that dies between 1 and 3 leaves the message in ``sending``. It is never resent
blindly: the SMTP server may already have accepted it, and SMTP gives no way to ask. The
sweeper (``email_outbox_sweep``) marks such a message ``failed`` with ``outcome_unknown``
and says which Message-ID to look for; a person decides whether to retry it (admin action
"retry failed"). Redelivered copies of the task find the message no longer ``queued`` and
do nothing.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from revo.mail.locks import email_message_lock
from revo.mail.models import EmailMessage, EmailStatus
from revo.mail.selectors import (
    current_tenant,
    email_messages_stuck_sending,
    email_messages_without_task,
    suppression_get,
)
from revo.mail.services._common import (
    artifact_notify,
    artifact_veto,
    cancel_apply,
    dispatch_on_commit,
    logger,
    mail_settings_ensure,
    transition_apply,
)
from revo.mail.throttle import outbox_claim_lock, send_gate
from revo.mail.transport import Delivery, DeliveryError, build_email, deliver


class DeliverOutcome(enum.StrEnum):
    SENT = "sent"
    WAITING = "waiting"
    RETRYING = "retrying"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


def retry_delay(attempt: int) -> float:
    """Exponential backoff with jitter, bounded: base × 2^(attempt-1), capped, then a
    random 50-100% of it so retries of many messages do not arrive together."""
    base = settings.MAIL_RETRY_BASE_SECONDS * (2 ** max(attempt - 1, 0))
    capped = min(base, settings.MAIL_RETRY_MAX_SECONDS)
    return capped * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security


def _wait(message: EmailMessage, until: datetime, now: datetime, reason: str) -> None:
    message.not_before = until
    countdown = min((until - now).total_seconds(), settings.MAIL_MAX_COUNTDOWN_SECONDS)
    dispatch_on_commit(message, countdown=countdown)
    message.save(update_fields=["not_before", "dispatch_id", "updated_at"])
    logger.info(
        "email waits",
        extra={
            "event": "mail.waiting",
            "email_message": message.pk,
            "until": until.isoformat(),
            "reason": reason,
        },
    )


@dataclass(frozen=True)
class _Claim:
    outcome: DeliverOutcome
    message: EmailMessage | None = None


def _claim(message_id: int, dispatch_id: str, now: datetime) -> _Claim:
    with transaction.atomic():
        outbox_claim_lock()
        message = email_message_lock(message_id)
        if (
            message is None
            or message.status != EmailStatus.QUEUED
            or str(message.dispatch_id) != str(dispatch_id)
        ):
            return _Claim(DeliverOutcome.SKIPPED)
        suppression = suppression_get(message.to_email)
        if suppression is not None:
            transition_apply(
                message, "suppress", reason=f"recipient suppressed ({suppression.reason})"
            )
            artifact_notify(message, "on_failed", message)
            return _Claim(DeliverOutcome.SUPPRESSED)
        veto = artifact_veto(message)
        if veto:
            # Not a suppression-list hit: the artifact withdrew it (e.g. paid meanwhile).
            cancel_apply(message, reason=f"held back by its artifact: {veto}")
            artifact_notify(message, "on_failed", message)
            return _Claim(DeliverOutcome.CANCELLED)
        if message.not_before and now < message.not_before:
            _wait(message, message.not_before, now, "not due yet")
            return _Claim(DeliverOutcome.WAITING)
        config = mail_settings_ensure()
        gate = send_gate(
            now=now,
            config=config,
            tz_name=current_tenant().timezone,
            from_email=message.from_email,
        )
        if not gate.allowed:
            _wait(message, gate.wait_until, now, gate.reason)
            return _Claim(DeliverOutcome.WAITING)
        message.claimed_at = now
        transition_apply(message, "claim", reason=f"attempt {message.attempts + 1}")
        return _Claim(DeliverOutcome.SENT, message)


def _record_sent(message_id: int, delivery: Delivery) -> DeliverOutcome:
    with transaction.atomic():
        message = email_message_lock(message_id)
        late = message is not None and message.status == EmailStatus.FAILED
        if message is None or not (
            message.status == EmailStatus.SENDING or (late and message.outcome_unknown)
        ):
            return DeliverOutcome.SKIPPED
        message.provider_message_id = delivery.provider_message_id
        message.sandboxed = delivery.sandboxed
        message.sandbox_path = delivery.sandbox_path
        message.sent_at = timezone.now()
        message.outcome_unknown = False
        reason = "written to the sandbox outbox" if delivery.sandboxed else "accepted by SMTP"
        transition_apply(message, "mark_sent", reason=reason)
        artifact_notify(message, "on_sent", message)
        return DeliverOutcome.SENT


def _record_failure(message_id: int, error: DeliveryError, now: datetime) -> DeliverOutcome:
    with transaction.atomic():
        message = email_message_lock(message_id)
        if message is None or message.status != EmailStatus.SENDING:
            return DeliverOutcome.SKIPPED
        message.error = str(error)[:4000]
        if error.retryable and message.attempts < settings.MAIL_MAX_ATTEMPTS:
            delay = retry_delay(message.attempts)
            transition_apply(message, "retry_later", reason=f"{error} (retry in {delay:.1f}s)")
            _wait(message, now + timedelta(seconds=delay), now, "retry after temporary failure")
            return DeliverOutcome.RETRYING
        if error.retryable:
            message.error = f"gave up after {message.attempts} attempts: {error}"[:4000]
        message.outcome_unknown = error.outcome_unknown
        transition_apply(message, "fail", reason=message.error)
        if not error.outcome_unknown:
            artifact_notify(message, "on_failed", message)
        return DeliverOutcome.FAILED


def email_deliver(
    *, message_id: int, dispatch_id: str, now: datetime | None = None
) -> DeliverOutcome:
    """Send one queued message if this dispatch still owns it (idempotent; see module)."""
    now = now or timezone.now()
    claim = _claim(message_id, dispatch_id, now)
    if claim.message is None:
        return claim.outcome
    try:
        email = build_email(claim.message)
    except Exception as exc:  # nothing left the machine: record why and fail
        logger.exception("email not buildable", extra={"event": "mail.build_failed"})
        error = DeliveryError(f"the message could not be built: {exc!r}", retryable=False)
        return _record_failure(message_id, error, now)
    try:
        delivery = deliver(claim.message, email)
    except DeliveryError as exc:
        return _record_failure(message_id, exc, now)
    return _record_sent(message_id, delivery)


@dataclass(frozen=True)
class SweepResult:
    outcome_unknown: int
    redispatched: int


def email_outbox_sweep(*, now: datetime | None = None) -> SweepResult:
    """Fail messages stuck in ``sending`` (worker gone mid-delivery) as outcome unknown, and
    re-dispatch queued messages whose task was lost (e.g. the broker restarted)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.MAIL_SENDING_STALE_SECONDS)
    failed = 0
    for pk in email_messages_stuck_sending(claimed_before=stale):
        with transaction.atomic():
            message = email_message_lock(pk)
            if message is None or message.status != EmailStatus.SENDING:
                continue
            if message.claimed_at is None or message.claimed_at >= stale:
                continue
            message.outcome_unknown = True
            message.error = (
                "outcome unknown: the worker stopped during delivery (attempt "
                f"{message.attempts}, claimed {message.claimed_at.isoformat()}). The recipient "
                f"may have it: look for Message-ID {message.message_id} in the SMTP server's "
                "log, then retry or leave it failed."
            )
            transition_apply(message, "fail", reason=message.error)
            failed += 1
    untouched = now - timedelta(seconds=settings.MAIL_MAX_COUNTDOWN_SECONDS + 60)
    redispatched = 0
    for pk in email_messages_without_task(untouched_since=untouched):
        with transaction.atomic():
            message = email_message_lock(pk)
            if message is None or message.status != EmailStatus.QUEUED:
                continue
            if message.updated_at >= untouched:
                continue
            dispatch_on_commit(message)
            message.save(update_fields=["dispatch_id", "updated_at"])
            redispatched += 1
    return SweepResult(outcome_unknown=failed, redispatched=redispatched)
