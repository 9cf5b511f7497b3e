"""Outreach email: an approved draft goes to the outbox; the outbox tells the lead what
happened (sent, suppressed, unsubscribed, bounced)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError

from revo.leads.models import LEAD_TRANSITIONS, Lead, OutreachMessage
from revo.leads.services import (
    NO_OUTREACH_STATUSES,
    lead_record_contact,
    lead_transition,
    lead_update,
)
from revo.mail.models import EmailKind, EmailMessage, EmailStatus, Suppression, SuppressionReason
from revo.mail.services import email_enqueue
from revo.reviews.models import ReviewDecision, ReviewStatus
from revo.reviews.services import review_item_sync, review_mark_applied

logger = logging.getLogger("revo.leads")

#: Days after an outreach email before the lead is due for the next follow-up.
FOLLOW_UP_AFTER_DAYS = 3

#: Suppression reason → the lead transition it implies.
SUPPRESSION_TRANSITIONS: dict[str, str] = {
    SuppressionReason.UNSUBSCRIBED: "unsubscribe",
    SuppressionReason.COMPLAINED: "unsubscribe",
    SuppressionReason.MANUAL: "unsubscribe",
    SuppressionReason.BOUNCED: "bounce",
}


def _not_sent_record(artifact: OutreachMessage, reason: str) -> None:
    """Keep why an approved draft was not sent where the reviewer sees it; it stays approved."""
    locked = OutreachMessage.objects.select_for_update().get(pk=artifact.pk)
    note = f"not sent: {reason}"
    if note not in locked.flagged_reasons:
        locked.flagged_reasons = [*locked.flagged_reasons, note]
        locked.save(update_fields=["flagged_reasons", "updated_at"])
        review_item_sync(artifact=locked)
    logger.info(
        "outreach not sent",
        extra={"event": "outreach.not_sent", "outreach": artifact.pk, "reason": reason},
    )


def outreach_on_approved(artifact: OutreachMessage, decision: ReviewDecision) -> None:
    """Review gate callback (in the decision's transaction): queue the one outreach email to
    the address fixed at draft time; it is sent once the decision commits. A lead we may no
    longer write to, or an email the outbox refuses, gets no email and the draft keeps the
    reason."""
    refused = outreach_veto(artifact, None)
    if refused:
        _not_sent_record(artifact, refused)
        return
    lead = artifact.lead
    try:
        email_enqueue(
            to_email=artifact.to_email,
            to_name=lead.full_name,
            subject=artifact.subject,
            body_text=artifact.body,
            kind=EmailKind.OUTREACH,
            artifact=artifact,
            by=decision.by_user,
        )
    except ValidationError as exc:
        # The outbox refuses what it may not send (e.g. no postal address for the footer):
        # the approval stands, the draft says why nothing went out.
        _not_sent_record(artifact, "; ".join(exc.messages))


def outreach_veto(artifact: OutreachMessage, message: EmailMessage | None) -> str:
    """Checked by the outbox just before sending: a lead deleted, unsubscribed or bounced
    since the approval (by a reply, an admin) gets no email."""
    lead = Lead.all_objects.get(pk=artifact.lead_id)
    if lead.deleted_at is not None:
        return "the lead was deleted"
    if lead.status in NO_OUTREACH_STATUSES:
        return f"the lead is {lead.status}"
    if artifact.review_status not in (ReviewStatus.APPROVED, ReviewStatus.APPLIED):
        return f"the draft is {artifact.review_status}"
    return ""


def outreach_on_sent(artifact: OutreachMessage, message: EmailMessage) -> None:
    """The email went out: the draft is applied, the lead contacted and due a follow-up."""
    sent_at = message.sent_at
    lead = lead_record_contact(lead=artifact.lead, at=sent_at)
    if lead.status not in NO_OUTREACH_STATUSES and sent_at is not None:
        lead_update(lead=lead, next_follow_up_at=sent_at + timedelta(days=FOLLOW_UP_AFTER_DAYS))
    if artifact.review_status == ReviewStatus.APPROVED:
        review_mark_applied(artifact=artifact, reason=f"sent as email {message.pk}")


def outreach_on_failed(artifact: OutreachMessage, message: EmailMessage) -> None:
    """Suppressed, held back or failed for good: the draft stays approved, with the reason
    kept."""
    reason = message.error or f"email {message.status}"
    if message.status == EmailStatus.CANCELLED:
        reason = message.cancel_reason or reason
    elif message.status == EmailStatus.SUPPRESSED:
        last = message.history.order_by("-pk").first()
        reason = last.reason if last is not None else "recipient suppressed"
    _not_sent_record(artifact, reason)


def lead_on_suppressed(suppression: Suppression) -> None:
    """An address the tenant stops emailing: its lead is unsubscribed or bounced."""
    transition = SUPPRESSION_TRANSITIONS.get(suppression.reason)
    lead = Lead.objects.filter(email__iexact=suppression.email).first()
    if transition is None or lead is None:
        return
    if lead.status not in LEAD_TRANSITIONS[transition][0]:
        return
    lead_transition(
        lead=lead, transition=transition, reason=f"address suppressed ({suppression.reason})"
    )


def outreach_emails_register() -> None:
    """Wire outreach into the review gate and the outbox (called from ``ready()``)."""
    from revo.mail.registry import register_artifact_sender, register_suppression_listener
    from revo.reviews.registry import register_artifact

    register_artifact(OutreachMessage, on_approved=outreach_on_approved)
    register_artifact_sender(
        "leads.outreachmessage",
        on_sent=outreach_on_sent,
        on_failed=outreach_on_failed,
        veto=outreach_veto,
    )
    register_suppression_listener(lead_on_suppressed)
