"""A signed contract is immutable; a change is a new revision."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revo.audit.selectors import history_for
from revo.contracts.models import Contract, ContractStatus
from revo.contracts.services import (
    LineInput,
    contract_create,
    contract_lines_set,
    contract_revise,
    contract_submit,
    contract_update,
)
from revo.core.exceptions import Conflict
from tests.contracts.factories import ContractFactory
from tests.contracts.helpers import contract_in

S = ContractStatus
NEW_LINES = [LineInput(description="Support", quantity="1", unit_price="99.00")]


@pytest.mark.parametrize(
    "change",
    [
        lambda c: contract_lines_set(contract=c, lines=NEW_LINES),
        lambda c: contract_update(contract=c, terms="free upgrades"),
        lambda c: contract_update(contract=c, payment_terms_net_days=90),
    ],
    ids=["lines", "terms", "payment-terms"],
)
def test_signed_contract_cannot_be_changed(tenant, sales, change):
    contract = contract_in(S.SIGNED, reviewer=sales)
    snapshot = (contract.total, contract.terms, contract.payment_terms_net_days)

    with pytest.raises(Conflict, match="signed contract is immutable"):
        change(contract)

    fresh = Contract.objects.get(pk=contract.pk)
    assert (fresh.total, fresh.terms, fresh.payment_terms_net_days) == snapshot
    assert fresh.lines.count() == 2


@pytest.mark.parametrize("state", [S.PENDING_REVIEW, S.APPROVED, S.SENT], ids=str)
def test_contract_past_draft_cannot_be_edited(tenant, sales, state):
    contract = contract_in(state, reviewer=sales)

    with pytest.raises(Conflict, match="only draft"):
        contract_update(contract=contract, terms="changed")


def test_a_deal_gets_one_first_revision(tenant):
    contract = ContractFactory()

    with pytest.raises(Conflict, match="revise"):
        contract_create(deal=contract.deal, lines=NEW_LINES)


def test_revising_a_sent_contract_copies_it_and_voids_the_old_one(tenant, sales):
    # given a sent revision 1
    old = contract_in(S.SENT, reviewer=sales, terms="net 30, no penalties")

    # when it is revised
    new = contract_revise(contract=old, by=sales, reason="customer asked for 2 more seats")

    # then revision 2 is a draft copy that supersedes it, and revision 1 is void
    assert (new.revision, new.status, new.supersedes_id) == (2, S.DRAFT, old.pk)
    assert new.terms == "net 30, no penalties"
    assert [
        (ln.description, ln.quantity, ln.unit_price, ln.discount_pct, ln.line_total)
        for ln in new.lines.order_by("position")
    ] == [
        (ln.description, ln.quantity, ln.unit_price, ln.discount_pct, ln.line_total)
        for ln in old.lines.order_by("position")
    ]
    assert (new.subtotal, new.discount_total, new.total) == (
        old.subtotal,
        old.discount_total,
        old.total,
    )
    old = Contract.objects.get(pk=old.pk)
    assert old.status == S.VOID
    assert "superseded by revision 2" in history_for(old).last().reason
    assert history_for(new).first().transition == "create"


def test_revising_a_signed_contract_keeps_it_signed(tenant, sales):
    old = contract_in(S.SIGNED, reviewer=sales)

    new = contract_revise(contract=old, by=sales)

    assert Contract.objects.get(pk=old.pk).status == S.SIGNED
    assert new.status == S.DRAFT
    assert new.revision == 2


def test_a_revision_is_revised_once(tenant, sales):
    old = contract_in(S.DRAFT, reviewer=sales)
    contract_revise(contract=old)

    with pytest.raises(Conflict, match="already revised"):
        contract_revise(contract=old)


def test_revisions_are_numbered_per_deal(tenant, sales):
    first = contract_in(S.DRAFT, reviewer=sales)

    second = contract_revise(contract=first)
    third = contract_revise(contract=second)

    assert [c.revision for c in Contract.objects.filter(deal=first.deal).order_by("revision")] == [
        1,
        2,
        3,
    ]
    assert third.supersedes == second


def test_a_revision_goes_through_review_again(tenant, sales):
    old = contract_in(S.APPROVED, reviewer=sales)
    new = contract_revise(contract=old)
    contract_lines_set(
        contract=new,
        lines=[LineInput(description="Licence", quantity="20", unit_price="100.00")],
    )

    submitted = contract_submit(contract=new)

    assert submitted.status == S.PENDING_REVIEW
    assert submitted.total == Decimal("2000.00")
