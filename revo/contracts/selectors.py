"""Reads of the contracts app."""

from __future__ import annotations

from django.db.models import QuerySet

from revo.contracts.models import (
    Contract,
    ContractLine,
    NegotiationRound,
    PriceListItem,
    PricingPolicy,
)
from revo.deals.models import Deal


def pricing_policy_get() -> PricingPolicy | None:
    """The tenant's pricing policy (``None`` before the tenant setup step created it)."""
    return PricingPolicy.objects.order_by("pk").first()


def price_list(*, active_only: bool = True) -> QuerySet[PriceListItem]:
    items = PriceListItem.objects.all()
    return items.filter(active=True) if active_only else items


def contract_list() -> QuerySet[Contract]:
    return Contract.objects.select_related("deal", "deal__lead", "supersedes")


def contract_revisions(*, deal: Deal) -> QuerySet[Contract]:
    """Every revision of a deal's contract, newest first."""
    return Contract.objects.filter(deal=deal).order_by("-revision")


def contract_current(*, deal: Deal) -> Contract | None:
    """The latest revision of the deal's contract."""
    return contract_revisions(deal=deal).first()


def contract_lines(*, contract: Contract) -> QuerySet[ContractLine]:
    return contract.lines.select_related("price_list_item").order_by("position")


def negotiation_rounds(*, contract: Contract) -> QuerySet[NegotiationRound]:
    return contract.negotiation_rounds.select_related("author_user").order_by("number")
