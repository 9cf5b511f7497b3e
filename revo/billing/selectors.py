"""Billing reads."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from revo.billing.dates import current_tenant
from revo.billing.models import (
    NOTICE_UNDECIDED_STATUSES,
    OPEN_STATUSES,
    ZERO,
    BillingSettings,
    DunningLevel,
    DunningNotice,
    DunningPolicy,
    Invoice,
)
from revo.reviews.models import ReviewStatus


def billing_settings_current() -> BillingSettings:
    """The tenant's billing settings (unsaved defaults if setup never ran)."""
    return BillingSettings.objects.filter(singleton=True).first() or BillingSettings()


def invoices_overdue(today: date) -> QuerySet[Invoice]:
    """Issued or partly paid invoices with a balance whose due date has passed."""
    return Invoice.objects.filter(
        status__in=OPEN_STATUSES, due_date__lt=today, balance__gt=ZERO
    ).order_by("due_date", "id")


def invoice_detail(pk: int) -> Invoice:
    return (
        Invoice.objects.select_related("contract").prefetch_related("lines", "payments").get(pk=pk)
    )


@dataclass(frozen=True)
class DunningCandidate:
    invoice: Invoice
    level: DunningLevel


def dunning_levels_active() -> list[DunningLevel]:
    policy = DunningPolicy.objects.filter(is_active=True).first()
    if policy is None:
        return []
    return list(policy.levels.order_by("level"))


def dunning_due(today: date) -> list[DunningCandidate]:
    """For each open invoice, the notice to draft today, if any: the level after the last
    one drafted for it, once that level's day has come (due date + offset) and at least its
    minimum number of days have passed since the previous notice. Pre-due reminders
    (negative offsets) are only drafted before the due date; once it has passed, the ladder
    continues with the first level after the due date. Invoices with a notice waiting for
    review get nothing. Three queries, however many invoices."""
    levels = dunning_levels_active()
    if not levels:
        return []
    earliest_offset = min(level.days_offset for level in levels)
    invoices = (
        Invoice.objects.filter(
            status__in=OPEN_STATUSES,
            balance__gt=ZERO,
            due_date__lte=today - timedelta(days=earliest_offset),
        )
        .exclude(dunning_notices__review_status__in=NOTICE_UNDECIDED_STATUSES)
        .prefetch_related(
            Prefetch(
                "dunning_notices",
                queryset=DunningNotice.objects.select_related("level").order_by("created_at"),
            )
        )
        .order_by("due_date", "id")
    )
    tz = zoneinfo.ZoneInfo(current_tenant().timezone)
    due = []
    for invoice in invoices:
        level = _next_level(invoice, levels, today, tz)
        if level is not None:
            due.append(DunningCandidate(invoice=invoice, level=level))
    return due


def _next_level(
    invoice: Invoice, levels: list[DunningLevel], today: date, tz: zoneinfo.ZoneInfo
) -> DunningLevel | None:
    notices = list(invoice.dunning_notices.all())
    last_level = max((notice.level.level for notice in notices), default=0)
    went_out = [
        timezone.localdate(notice.created_at, timezone=tz)
        for notice in notices
        if notice.review_status != ReviewStatus.REJECTED
    ]
    previous_on = max(went_out, default=None)
    for level in levels:
        if level.level <= last_level:
            continue
        if level.days_offset < 0 and today >= invoice.due_date:
            continue  # a reminder before the due date is pointless after it
        if invoice.due_date + timedelta(days=level.days_offset) > today:
            return None
        if previous_on is not None and (today - previous_on).days < level.min_days_since_previous:
            return None
        return level
    return None
