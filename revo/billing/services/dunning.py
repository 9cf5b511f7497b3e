"""Dunning notices: drafted for one invoice at one level, reviewed, cancelled by payment."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.audit.services import transition_apply
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
from revo.reviews.services import review_auto_approve, review_item_sync, review_submit

logger = logging.getLogger(__name__)


def _auto_approvable(level: DunningLevel, balance: Decimal) -> bool:
    if not level.auto_approvable:
        return False
    return level.auto_approve_max_amount is None or balance <= level.auto_approve_max_amount


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
) -> DunningNotice:
    """Draft the notice of ``level`` for an open invoice and submit it for review; the
    level's policy may approve it at once when the open balance is within its limit."""
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
    )
    try:
        with transaction.atomic():
            notice.save()
    except IntegrityError:
        raise Conflict(f"invoice {locked} already has a level {level.level} notice") from None
    review_submit(artifact=notice, by=by, run_id=run_id)
    if _auto_approvable(level, locked.balance):
        result = review_auto_approve(
            artifact=notice,
            run_id=run_id,
            reason=f"level {level.level} policy allows auto-approval up to "
            f"{level.auto_approve_max_amount or 'any amount'}",
        )
        notice = result.artifact
    logger.info(
        "dunning notice created",
        extra={
            "event": "dunning.notice_created",
            "invoice": locked.pk,
            "level": level.level,
            "notice": notice.pk,
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
