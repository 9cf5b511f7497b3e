"""Reads of the deals app."""

from __future__ import annotations

from django.db.models import QuerySet

from revo.deals.models import OPEN_DEAL_STAGES, Deal, DealProposal


def deal_list(*, open_only: bool = False) -> QuerySet[Deal]:
    """Deals with their lead and owner loaded (one query for a page)."""
    deals = Deal.objects.select_related("lead", "owner")
    if open_only:
        deals = deals.filter(stage__in=OPEN_DEAL_STAGES)
    return deals


def deal_get(*, pk: int) -> Deal:
    return deal_list().get(pk=pk)


def deal_proposals_for(*, deal: Deal) -> QuerySet[DealProposal]:
    return DealProposal.objects.filter(deal=deal).select_related("created_by", "reviewed_by")
