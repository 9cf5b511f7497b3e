"""Deals, proposals, contracts, lines, rounds, price list and policy stay in their tenant."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revo.contracts.models import (
    Contract,
    ContractLine,
    NegotiationRound,
    PriceListItem,
    PricingPolicy,
)
from revo.contracts.services import negotiation_round_record, pricing_policy_update
from revo.deals.models import Deal, DealProposal
from tests.contracts.factories import ContractFactory, PriceListItemFactory
from tests.deals.factories import DealProposalFactory


@pytest.fixture
def everything(tenant, sales) -> dict[type, int]:
    contract = ContractFactory()
    proposal = DealProposalFactory(deal=contract.deal)
    negotiation_round = negotiation_round_record(
        contract=contract, party="customer", offered_price="900.00", by=sales
    )
    item = PriceListItemFactory(sku="ONLY-HERE")
    return {
        Deal: contract.deal_id,
        DealProposal: proposal.pk,
        Contract: contract.pk,
        ContractLine: contract.lines.first().pk,
        NegotiationRound: negotiation_round.pk,
        PriceListItem: item.pk,
    }


@pytest.mark.parametrize(
    "model",
    [Deal, DealProposal, Contract, ContractLine, NegotiationRound, PriceListItem],
    ids=lambda m: m.__name__,
)
def test_rows_are_invisible_from_another_tenant(everything, in_other_tenant, model):
    # given a row created in the test tenant (visible there)
    pk = everything[model]
    assert model._default_manager.filter(pk=pk).exists()

    # when the other tenant looks, then it sees none of this model's rows
    with in_other_tenant():
        assert not model._default_manager.exists()


def test_pricing_policy_is_per_tenant(tenant, in_other_tenant):
    pricing_policy_update(max_discount_pct_without_admin="5")

    with in_other_tenant():
        assert PricingPolicy.objects.get().max_discount_pct_without_admin == Decimal("15.00")
    assert PricingPolicy.objects.get().max_discount_pct_without_admin == Decimal("5.00")
