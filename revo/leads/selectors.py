"""Reads of leads, outreach drafts and replies."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from revo.accounts.models import User
from revo.audit.models import StateTransition
from revo.audit.selectors import history_for
from revo.leads.models import Lead, LeadStatus, OutreachMessage, Reply
from revo.leads.validation import normalize_email
from revo.reviews.models import ReviewStatus

#: Statuses in which a lead may still be written to.
OUTREACH_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.ENGAGED, LeadStatus.QUALIFIED)


def lead_list(
    *,
    status: str | None = None,
    owner: User | None = None,
    search: str = "",
) -> QuerySet[Lead]:
    leads = Lead.objects.select_related("owner")
    if status:
        leads = leads.filter(status=status)
    if owner is not None:
        leads = leads.filter(owner=owner)
    if search.strip():
        term = search.strip()
        leads = leads.filter(
            Q(email__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(company__icontains=term)
            | Q(industry__icontains=term)
        )
    return leads


def lead_get_by_email(email: str) -> Lead | None:
    """The live lead with this email, whatever its case."""
    return Lead.objects.filter(email=normalize_email(email)).first()


def lead_history(lead: Lead) -> QuerySet[StateTransition]:
    return history_for(lead)


def leads_due_for_follow_up(*, at: datetime | None = None) -> QuerySet[Lead]:
    """Leads we may still write to whose follow-up time has come, oldest first."""
    return Lead.objects.filter(
        status__in=OUTREACH_STATUSES, next_follow_up_at__lte=at or timezone.now()
    ).order_by("next_follow_up_at", "id")


def outreach_live_for_lead(lead: Lead) -> QuerySet[OutreachMessage]:
    """The lead's drafts that still count (not rejected or sent back), by step."""
    return (
        OutreachMessage.objects.filter(lead=lead)
        .exclude(review_status__in=[ReviewStatus.REJECTED, ReviewStatus.REGENERATE_REQUESTED])
        .order_by("sequence_step")
    )


def replies_unhandled() -> QuerySet[Reply]:
    return Reply.objects.filter(handled=False).select_related("lead").order_by("received_at", "id")
