"""Negotiation rounds: gapless numbering under the contract's row lock, one author."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from revo.audit.selectors import history_for
from revo.contracts.models import ContractStatus, NegotiationParty, NegotiationRound
from revo.contracts.services import negotiation_round_record
from revo.core.exceptions import Conflict, InvalidInput
from tests.contracts.helpers import contract_in

S = ContractStatus


def _record(contract, party="customer", **kwargs):  # noqa: ANN001, ANN202
    kwargs.setdefault("offered_price", Decimal("1200.00"))
    return negotiation_round_record(contract=contract, party=party, **kwargs)


def test_rounds_are_numbered_without_gaps_per_contract(tenant, sales):
    # given two contracts under negotiation
    first = contract_in(S.SENT, reviewer=sales)
    second = contract_in(S.DRAFT, reviewer=sales)

    # when offers alternate between them and between the parties
    for i in range(3):
        _record(first, party="customer", by=sales, discount_pct="20", notes=f"ask {i}")
        _record(first, party="us", run_id=uuid.uuid4(), discount_pct="10")
        _record(second, party="us", by=sales)

    # then each contract's rounds are 1..n with no gap
    assert list(first.negotiation_rounds.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert list(second.negotiation_rounds.values_list("number", flat=True)) == [1, 2, 3]
    parties = list(first.negotiation_rounds.values_list("party", flat=True))
    assert parties == ["customer", "us"] * 3


def test_a_refused_round_leaves_no_gap(tenant, sales):
    contract = contract_in(S.SENT, reviewer=sales)
    _record(contract, by=sales)

    with pytest.raises(InvalidInput):
        _record(contract, party="us", by=sales, discount_pct="31")
    _record(contract, by=sales)

    assert list(contract.negotiation_rounds.values_list("number", flat=True)) == [1, 2]


def test_round_numbers_are_taken_under_the_contract_row_lock(tenant, sales):
    contract = contract_in(S.SENT, reviewer=sales)

    with CaptureQueriesContext(connection) as queries:
        _record(contract, by=sales)

    sql = [q["sql"] for q in queries.captured_queries]
    lock = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s and "contracts_contract" in s)
    numbering = next(i for i, s in enumerate(sql) if "MAX(" in s and "negotiationround" in s)
    assert lock < numbering


def test_database_refuses_a_duplicate_round_number(tenant, sales):
    contract = contract_in(S.SENT, reviewer=sales)
    taken = _record(contract, by=sales)

    with pytest.raises(IntegrityError), transaction.atomic():
        NegotiationRound.objects.create(
            contract=contract,
            number=taken.number,
            party=NegotiationParty.US,
            offered_price=Decimal("1.00"),
            currency="EUR",
            author_user=sales,
        )


@pytest.mark.parametrize("authors", ["none", "both"], ids=str)
def test_a_round_has_exactly_one_author(tenant, sales, authors):
    contract = contract_in(S.SENT, reviewer=sales)
    kwargs = {} if authors == "none" else {"by": sales, "run_id": uuid.uuid4()}

    with pytest.raises(InvalidInput, match="exactly one author"):
        _record(contract, **kwargs)

    assert not contract.negotiation_rounds.exists()


@pytest.mark.parametrize("authors", ["none", "both"], ids=str)
def test_database_refuses_a_round_without_exactly_one_author(tenant, sales, authors):
    contract = contract_in(S.SENT, reviewer=sales)
    kwargs = {} if authors == "none" else {"author_user": sales, "author_run_id": uuid.uuid4()}

    with pytest.raises(IntegrityError), transaction.atomic():
        NegotiationRound.objects.create(
            contract=contract,
            number=1,
            party=NegotiationParty.US,
            offered_price=Decimal("1.00"),
            currency="EUR",
            **kwargs,
        )


def test_our_offer_may_not_go_beyond_the_floor_but_a_customer_may_ask(tenant, sales):
    contract = contract_in(S.SENT, reviewer=sales)

    with pytest.raises(InvalidInput, match="floor"):
        _record(contract, party="us", by=sales, discount_pct="35")
    asked = _record(contract, party="customer", by=sales, discount_pct="50")

    assert asked.number == 1


@pytest.mark.parametrize("state", [S.SIGNED, S.DECLINED, S.EXPIRED, S.VOID], ids=str)
def test_closed_contracts_take_no_more_rounds(tenant, sales, state):
    contract = contract_in(state, reviewer=sales)

    with pytest.raises(Conflict):
        _record(contract, by=sales)


@pytest.mark.parametrize(
    ("field", "value"),
    [("party", "them"), ("offered_price", "-1"), ("discount_pct", "101")],
    ids=["party", "negative-price", "discount-over-100"],
)
def test_bad_round_input_is_refused(tenant, sales, field, value):
    contract = contract_in(S.SENT, reviewer=sales)
    kwargs = {"party": "customer", "offered_price": "100.00", field: value}

    with pytest.raises(InvalidInput):
        negotiation_round_record(contract=contract, by=sales, **kwargs)


def test_each_round_is_in_the_contract_history(tenant, sales):
    contract = contract_in(S.SENT, reviewer=sales)

    _record(contract, by=sales, notes="counter at 1200")

    row = history_for(contract).last()
    assert row.transition == "negotiation_round"
    assert row.data["round"]["after"] == 1
    assert row.reason == "counter at 1200"
    assert row.by_user == sales
