"""Row locks of the deals app: every concurrent change to a deal starts here."""

from __future__ import annotations

from typing import Any

from revo.core.exceptions import NotFound
from revo.deals.models import Deal, DealProposal
from revo.leads.models import Lead


def deal_lock(*, pk: Any) -> Deal:
    """Lock a (non-deleted) deal row until the transaction ends."""
    try:
        return Deal.objects.select_for_update().get(pk=pk)
    except Deal.DoesNotExist:
        raise NotFound(f"deal {pk} does not exist") from None


def lead_lock_for_conversion(*, pk: Any) -> Lead:
    """Lock the lead a deal is opened from, so two deals cannot convert it at once."""
    try:
        return Lead.objects.select_for_update().get(pk=pk)
    except Lead.DoesNotExist:
        raise NotFound(f"lead {pk} does not exist") from None


def deal_proposal_lock(*, pk: Any) -> DealProposal:
    try:
        return DealProposal.objects.select_for_update().get(pk=pk)
    except DealProposal.DoesNotExist:
        raise NotFound(f"deal proposal {pk} does not exist") from None
