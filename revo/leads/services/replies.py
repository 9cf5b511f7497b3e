"""Replies from leads: recorded, classified, handled (the lead moved as the reply implies).
Each service changes what it changes in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db import transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.core.exceptions import InvalidInput
from revo.leads.lock_objects import lead_lock, reply_lock
from revo.leads.models import (
    Lead,
    Reply,
    ReplyClassification,
)
from revo.leads.services.leads import (
    RunId,
    _reply_move_lead,
)
from revo.leads.validation import email_error


@transaction.atomic
def reply_record(
    *,
    lead: Lead,
    from_email: str,
    subject: str = "",
    body: str = "",
    received_at: datetime | None = None,
    message_id: str = "",
) -> Reply:
    """Record a reply from a lead. The same ``message_id`` recorded twice returns the first
    reply (mailbox polling may see a message again)."""
    from_email = (from_email or "").strip().lower()
    problem = email_error(from_email)
    if problem:
        raise InvalidInput(f"from_email: {problem}")
    message_id = (message_id or "").strip()
    if message_id:
        existing = Reply.objects.filter(message_id=message_id).first()
        if existing is not None:
            return existing
    return Reply.objects.create(
        lead=lead,
        from_email=from_email,
        subject=(subject or "").strip()[:300],
        body=body or "",
        received_at=received_at or timezone.now(),
        message_id=message_id,
    )


@transaction.atomic
def reply_classify(
    *,
    reply: Reply,
    classification: str,
    not_now_until: date | None = None,
) -> Reply:
    """Record what a reply means. Only records it: moving the lead is
    ``lead_apply_reply_classification``'s job."""
    _classification_check(classification, not_now_until)
    locked = reply_lock(reply.pk)
    locked.classification = classification
    locked.not_now_until = not_now_until
    locked.classified_at = timezone.now()
    locked.save(update_fields=["classification", "not_now_until", "classified_at", "updated_at"])
    return locked


@transaction.atomic
def reply_mark_handled(*, reply: Reply) -> Reply:
    locked = reply_lock(reply.pk)
    if not locked.handled:
        locked.handled = True
        locked.handled_at = timezone.now()
        locked.save(update_fields=["handled", "handled_at", "updated_at"])
    return locked


def _classification_check(classification: str, not_now_until: date | None) -> None:
    if classification not in ReplyClassification.values:
        raise InvalidInput(
            f"unknown reply classification {classification!r}",
            details={"allowed": list(ReplyClassification.values)},
        )
    if not_now_until is not None and classification != ReplyClassification.NOT_NOW:
        raise InvalidInput("not_now_until only goes with the not_now classification")


@dataclass(frozen=True)
class ReplyHandled:
    """What ``reply_handle`` did: the reply (classified and handled) and the lead's move."""

    reply: Reply
    lead: Lead
    transition: str | None


@transaction.atomic
def reply_handle(
    *,
    reply: Reply,
    classification: str,
    not_now_until: date | None = None,
    by: User | None = None,
    run_id: RunId = None,
    reason: str = "",
) -> ReplyHandled | None:
    """Handle a reply in one transaction: record its classification, move the lead as it
    implies (``lead_apply_reply_classification``), pause the lead's follow-ups until
    ``not_now_until`` for a "not now", and mark the reply handled. ``None`` (nothing
    written) when the reply was handled meanwhile."""
    _classification_check(classification, not_now_until)
    locked = reply_lock(reply.pk)
    if locked.handled:
        return None
    now = timezone.now()
    locked.classification = classification
    locked.not_now_until = not_now_until
    locked.classified_at = now
    locked.handled = True
    locked.handled_at = now
    locked.save(
        update_fields=[
            "classification",
            "not_now_until",
            "classified_at",
            "handled",
            "handled_at",
            "updated_at",
        ]
    )
    outcome = _reply_move_lead(
        lead_lock(locked.lead_id),
        classification,
        by=by,
        run_id=run_id,
        reason=reason or f"reply {locked.pk} classified {classification}",
    )
    lead = outcome.lead
    if not_now_until is not None:
        lead.next_follow_up_at = datetime.combine(not_now_until, time.min, tzinfo=UTC)
        lead.save(update_fields=["next_follow_up_at", "updated_at"])
    return ReplyHandled(reply=locked, lead=lead, transition=outcome.transition)
