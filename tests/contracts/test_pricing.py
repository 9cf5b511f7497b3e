"""Totals are computed by code, and every line is held to the pricing policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revo.contracts.models import Contract, ContractStatus, PricingPolicy
from revo.contracts.services import (
    LineInput,
    contract_create,
    contract_lines_set,
    contract_review_decide,
    contract_submit,
    price_list_item_create,
    pricing_policy_ensure,
    pricing_policy_update,
)
from revo.core.exceptions import Conflict, InvalidInput, PermissionDenied
from revo.reviews.models import ReviewItem, ReviewStatus
from tests.contracts.factories import ContractFactory, PriceListItemFactory
from tests.deals.factories import DealFactory


def test_every_tenant_is_provisioned_with_the_default_policy(tenant):
    policy = PricingPolicy.objects.get()

    assert policy.currency == tenant.default_currency
    assert policy.max_discount_pct_without_admin == Decimal("15.00")
    assert policy.hard_floor_discount_pct == Decimal("30.00")


def test_totals_are_computed_from_the_lines(tenant):
    # given lines with quantities, prices and discounts (one from the price list)
    PriceListItemFactory(sku="SEAT", unit_price=Decimal("49.90"))
    lines = [
        LineInput(sku="SEAT", quantity="12", discount_pct="10"),
        LineInput(description="Onboarding", quantity="1.5", unit_price="333.33"),
    ]

    # when the contract is created
    contract = contract_create(deal=DealFactory(), lines=lines)

    # then each line and the contract add up, rounded half-up to the cent
    first, second = contract.lines.order_by("position")
    assert (first.unit_price, first.line_total) == (Decimal("49.90"), Decimal("538.92"))
    assert first.description == PriceListItemFactory._meta.model.objects.get(sku="SEAT").name
    assert second.line_total == Decimal("500.00")  # 499.995 → 500.00
    assert contract.subtotal == Decimal("1098.80")
    assert contract.discount_total == Decimal("59.88")
    assert contract.total == Decimal("1038.92")
    assert contract.max_line_discount_pct == Decimal("10.00")


def test_totals_cannot_be_passed_in(tenant):
    with pytest.raises(TypeError):
        contract_create(deal=DealFactory(), lines=[], total=Decimal("1.00"))
    with pytest.raises(TypeError):
        LineInput(quantity="1", unit_price="10", description="x", line_total=Decimal("1"))


def test_replacing_lines_recomputes_the_totals(tenant):
    contract = ContractFactory()

    contract_lines_set(
        contract=contract,
        lines=[LineInput(description="Consulting day", quantity="3", unit_price="1000.00")],
    )

    contract = Contract.objects.get(pk=contract.pk)
    assert (contract.subtotal, contract.discount_total, contract.total) == (
        Decimal("3000.00"),
        Decimal("0.00"),
        Decimal("3000.00"),
    )
    assert contract.lines.count() == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (LineInput(description="x", quantity="0", unit_price="10"), "quantity"),
        (LineInput(description="x", quantity="-1", unit_price="10"), "quantity"),
        (LineInput(description="x", quantity="1", unit_price="-10"), "unit_price"),
        (LineInput(description="x", quantity="1", unit_price="1.001"), "unit_price"),
        (LineInput(description="x", quantity=1.5, unit_price="10"), "float"),
        (LineInput(description="", quantity="1", unit_price="10"), "description"),
        (LineInput(description="x", quantity="1"), "unit_price"),
        (LineInput(sku="NOPE", quantity="1"), "NOPE"),
        (LineInput(description="x", quantity="1", unit_price="10", discount_pct="101"), "100"),
    ],
    ids=[
        "zero-quantity",
        "negative-quantity",
        "negative-price",
        "sub-cent-price",
        "float-quantity",
        "no-description",
        "no-price",
        "unknown-sku",
        "discount-over-100",
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(tenant, line, message):
    deal = DealFactory()

    with pytest.raises(InvalidInput, match=message):
        contract_create(deal=deal, lines=[line])

    assert not Contract.objects.filter(deal=deal).exists()


def test_price_list_items_are_sold_at_their_list_price(tenant):
    PriceListItemFactory(sku="SEAT", unit_price=Decimal("50.00"))

    with pytest.raises(InvalidInput, match="list price"):
        contract_create(
            deal=DealFactory(), lines=[LineInput(sku="SEAT", quantity="1", unit_price="1.00")]
        )


def test_inactive_price_list_items_cannot_be_sold(tenant):
    PriceListItemFactory(sku="OLD", active=False)

    with pytest.raises(InvalidInput, match="OLD"):
        contract_create(deal=DealFactory(), lines=[LineInput(sku="OLD", quantity="1")])


def test_duplicate_sku_is_refused(tenant):
    price_list_item_create(sku="SEAT", name="Seat", unit_price="10.00")

    with pytest.raises(Conflict):
        price_list_item_create(sku="seat", name="Seat again", unit_price="10.00")


def _line(discount: str) -> list[LineInput]:
    return [
        LineInput(description="Licence", quantity="10", unit_price="100.00", discount_pct=discount)
    ]


@pytest.mark.parametrize("discount", ["30.01", "45", "100"], ids=["just-over", "45", "100"])
def test_discount_beyond_the_hard_floor_is_always_refused(tenant, discount):
    deal = DealFactory()

    with pytest.raises(InvalidInput, match="floor"):
        contract_create(deal=deal, lines=_line(discount))

    assert not Contract.objects.filter(deal=deal).exists()


@pytest.mark.parametrize(
    ("discount", "needs_admin"),
    [("0", False), ("15", False), ("15.01", True), ("30", True)],
    ids=["none", "at-limit", "over-limit", "at-floor"],
)
def test_discount_above_the_limit_needs_an_admin(tenant, discount, needs_admin):
    contract = contract_submit(contract=ContractFactory(lines=_line(discount)))

    assert contract.requires_admin_approval is needs_admin
    assert contract.review_requires_admin() is needs_admin
    item = ReviewItem.objects.get(entity_type="contract", object_id=contract.pk)
    assert item.requires_admin is needs_admin


def test_sales_cannot_decide_a_contract_above_the_limit(tenant, sales):
    contract = contract_submit(contract=ContractFactory(lines=_line("20")))

    with pytest.raises(PermissionDenied, match="admin"):
        contract_review_decide(contract=contract, decision="approve", by=sales)

    contract = Contract.objects.get(pk=contract.pk)
    assert (contract.status, contract.review_status) == (
        ContractStatus.PENDING_REVIEW,
        ReviewStatus.PENDING_REVIEW,
    )


def test_admin_can_decide_a_contract_above_the_limit(tenant, admin_user):
    contract = contract_submit(contract=ContractFactory(lines=_line("20")))

    contract_review_decide(contract=contract, decision="approve", by=admin_user)

    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.APPROVED


def test_sales_can_decide_a_contract_within_the_limit(tenant, sales):
    contract = contract_submit(contract=ContractFactory(lines=_line("15")))

    contract_review_decide(contract=contract, decision="approve", by=sales)

    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.APPROVED


@pytest.mark.parametrize("role_fixture", ["finance", "viewer"], ids=["finance", "viewer"])
def test_roles_without_decide_contract_cannot_decide(tenant, request, role_fixture):
    contract = contract_submit(contract=ContractFactory())

    with pytest.raises(PermissionDenied):
        contract_review_decide(
            contract=contract, decision="approve", by=request.getfixturevalue(role_fixture)
        )


def test_a_tighter_policy_at_submission_is_applied(tenant, sales):
    # given a draft at 12 % and a policy tightened to 10 % afterwards
    contract = ContractFactory(lines=_line("12"))
    pricing_policy_update(max_discount_pct_without_admin="10")

    # when it is submitted, then it needs an admin
    contract = contract_submit(contract=contract)
    assert contract.requires_admin_approval is True


def test_a_floor_lowered_below_a_draft_blocks_its_submission(tenant):
    contract = ContractFactory(lines=_line("25"))
    pricing_policy_update(max_discount_pct_without_admin="10", hard_floor_discount_pct="20")

    with pytest.raises(InvalidInput, match="floor"):
        contract_submit(contract=contract)

    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.DRAFT


def test_policy_limit_cannot_exceed_its_floor(tenant):
    with pytest.raises(InvalidInput):
        pricing_policy_update(max_discount_pct_without_admin="40")

    assert pricing_policy_ensure().max_discount_pct_without_admin == Decimal("15.00")
