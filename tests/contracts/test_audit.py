"""Every contract change leaves a history row written by the service."""

from __future__ import annotations

from revo.audit.selectors import history_for
from revo.contracts.services import (
    LineInput,
    contract_lines_set,
    contract_review_decide,
    contract_send,
    contract_sign,
    contract_submit,
    contract_update,
)
from revo.reviews.models import ReviewDecision
from tests.contracts.factories import ContractFactory


def test_a_contract_life_is_fully_audited(tenant, sales, sales2):
    # given a contract written by one person and decided by another
    contract = ContractFactory(by=sales2)

    # when it goes from draft to signed
    contract_update(contract=contract, terms="Net 30", by=sales2)
    contract_lines_set(
        contract=contract,
        lines=[LineInput(description="Licence", quantity="5", unit_price="200.00")],
        by=sales2,
    )
    contract_submit(contract=contract, by=sales2)
    contract_review_decide(contract=contract, decision="approve", by=sales)
    contract_send(contract=contract, by=sales)
    contract_sign(contract=contract, by=sales, reason="signed copy received")

    # then its history tells the whole story, with authors
    rows = [(r.field, r.transition, r.from_state, r.to_state) for r in history_for(contract)]
    assert rows == [
        ("status", "create", "", "draft"),
        ("status", "update", "draft", "draft"),
        ("status", "update", "draft", "draft"),
        ("status", "submit", "draft", "pending_review"),
        ("review_status", "create", "", "pending_review"),
        ("review_status", "approve", "pending_review", "approved"),
        ("status", "confirm_approval", "pending_review", "approved"),
        ("status", "send", "approved", "sent"),
        ("review_status", "mark_applied", "approved", "applied"),
        ("status", "sign", "sent", "signed"),
    ]
    authors = [r.by_user for r in history_for(contract)]
    assert authors[:5] == [sales2] * 5
    assert authors[5:] == [sales] * 5
    assert ReviewDecision.objects.get(item__object_id=contract.pk).by_user == sales
