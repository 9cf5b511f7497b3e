"""Dunning notices: drafted for one invoice at one level, reviewed, cancelled by payment."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.audit.services import transition_apply
from revo.billing.dunning_checks import dunning_text_discrepancies
from revo.billing.lock_objects import dunning_notices_open_lock, invoice_lock
from revo.billing.models import (
    NOTICE_UNDECIDED_STATUSES,
    OPEN_STATUSES,
    ZERO,
    DunningLevel,
    DunningNotice,
    Invoice,
)
from revo.core.exceptions import Conflict, InvalidInput
from revo.reviews.services import review_item_sync, review_submit

logger = logging.getLogger(__name__)


@transaction.atomic
def dunning_notice_create(
    *,
    invoice: Invoice,
    level: DunningLevel,
    subject: str,
    body: str,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    confidence: Decimal | None = None,
    agent: str = "",
    llm_backend: str = "",
    llm_model: str = "",
    flagged_reasons: Sequence[str] = (),
) -> DunningNotice:
    """Draft the notice of ``level`` for an open invoice and submit it for review.

    ``flagged_reasons`` (model findings, steering attempts in the customer's data) are kept
    for the reviewer, together with every invoice number or amount in the text that
    contradicts the invoice. Nothing here approves: only a person, or the finance agent's
    auto-approval gate (level policy + the tenant's rule), does."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise InvalidInput("a dunning notice needs a subject and a body")
    locked = invoice_lock(invoice.pk)
    if locked.status not in OPEN_STATUSES or locked.balance <= ZERO:
        raise Conflict(f"invoice {locked} is {locked.status}; only open invoices are dunned")
    if DunningNotice.objects.filter(invoice=locked, level=level).exists():
        raise Conflict(f"invoice {locked} already has a level {level.level} notice")
    if DunningNotice.objects.filter(
        invoice=locked, review_status__in=NOTICE_UNDECIDED_STATUSES
    ).exists():
        raise Conflict(f"invoice {locked} already has a notice waiting for review")
    flags = [
        *flagged_reasons,
        *dunning_text_discrepancies(invoice=locked, fee=level.fee, subject=subject, body=body),
    ]
    notice = DunningNotice(
        invoice=locked,
        level=level,
        subject=subject,
        body=body,
        fee=level.fee,
        currency=locked.currency,
        created_by=by,
        run_id=run_id,
        confidence=confidence,
        agent=agent,
        llm_backend=llm_backend,
        llm_model=llm_model,
        flagged_reasons=flags,
    )
    try:
        with transaction.atomic():
            notice.save()
    except IntegrityError:
        raise Conflict(f"invoice {locked} already has a level {level.level} notice") from None
    review_submit(artifact=notice, by=by, run_id=run_id)
    logger.info(
        "dunning notice created",
        extra={
            "event": "dunning.notice_created",
            "invoice": locked.pk,
            "dunning_level": level.level,
            "notice": notice.pk,
            "flagged": len(flags),
        },
    )
    return notice


@transaction.atomic
def dunning_notices_cancel_open(
    *,
    invoice: Invoice,
    reason: str,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
) -> list[DunningNotice]:
    """Withdraw every notice of the invoice that has not gone out (waiting for review,
    sent back, or approved and not yet sent): they leave the queue and are never sent."""
    cancelled = []
    for notice in dunning_notices_open_lock(invoice.pk):
        notice.cancelled_at = timezone.now()
        notice.cancel_reason = reason
        transition_apply(
            instance=notice,
            transition="cancel",
            field="review_status",
            by=by,
            run_id=run_id,
            reason=reason,
            update_fields=["cancelled_at", "cancel_reason"],
        )
        review_item_sync(artifact=notice)
        cancelled.append(notice)
    if cancelled:
        from revo.billing.mailing import dunning_emails_cancel

        # Their emails still waiting in the outbox are withdrawn with them.
        dunning_emails_cancel(notices=cancelled, reason=reason)
        logger.info(
            "dunning notices cancelled",
            extra={
                "event": "dunning.notices_cancelled",
                "invoice": invoice.pk,
                "count": len(cancelled),
                "reason": reason,
            },
        )
    return cancelled
