"""The contract status machine: every (state, action) pair, allowed or forbidden, with the
review gate kept in step."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from revo.audit.selectors import history_for
from revo.contracts.models import Contract, ContractStatus
from revo.contracts.services import (
    contract_decline,
    contract_expire,
    contract_on_rejected,
    contract_review_decide,
    contract_send,
    contract_sign,
    contract_submit,
    contract_void,
    contracts_expire_due,
)
from revo.core.exceptions import IllegalTransition
from revo.reviews.models import ReviewItem, ReviewStatus
from revo.reviews.services import review_decide
from tests.contracts.helpers import contract_in, make_past_due

S = ContractStatus


def _expire(contract: Contract, user: object) -> Contract:
    return contract_expire(contract=make_past_due(contract), by=user)


ACTIONS: dict[str, Callable[[Contract, object], object]] = {
    "submit": lambda c, u: contract_submit(contract=c, by=u),
    "approve": lambda c, u: contract_review_decide(contract=c, decision="approve", by=u),
    "reject": lambda c, u: contract_review_decide(
        contract=c, decision="reject", by=u, reason="terms too loose"
    ),
    "send": lambda c, u: contract_send(contract=c, by=u),
    "sign": lambda c, u: contract_sign(contract=c, by=u),
    "decline": lambda c, u: contract_decline(contract=c, reason="chose a rival", by=u),
    "expire": _expire,
    "void": lambda c, u: contract_void(contract=c, reason="deal restructured", by=u),
}

ALLOWED = {
    (S.DRAFT, "submit"): S.PENDING_REVIEW,
    (S.PENDING_REVIEW, "approve"): S.APPROVED,
    (S.PENDING_REVIEW, "reject"): S.VOID,
    (S.APPROVED, "send"): S.SENT,
    (S.SENT, "sign"): S.SIGNED,
    (S.SENT, "decline"): S.DECLINED,
    (S.SENT, "expire"): S.EXPIRED,
    (S.DRAFT, "void"): S.VOID,
    (S.PENDING_REVIEW, "void"): S.VOID,
    (S.APPROVED, "void"): S.VOID,
    (S.SENT, "void"): S.VOID,
}

# The review status that goes with each business status along the happy path.
REVIEW_STATUS = {
    S.DRAFT: ReviewStatus.PENDING_REVIEW,
    S.PENDING_REVIEW: ReviewStatus.PENDING_REVIEW,
    S.APPROVED: ReviewStatus.APPROVED,
    S.SENT: ReviewStatus.APPLIED,
    S.SIGNED: ReviewStatus.APPLIED,
    S.DECLINED: ReviewStatus.APPLIED,
    S.EXPIRED: ReviewStatus.APPLIED,
}

MATRIX = [(state, action) for state in S.values for action in ACTIONS]


@pytest.mark.parametrize(
    ("state", "action"),
    [pytest.param(s, a, id=f"{s}-{a}") for s, a in MATRIX if (s, a) in ALLOWED],
)
def test_allowed_contract_transition_happens_and_is_audited(tenant, sales, state, action):
    # given a contract in the state
    contract = contract_in(state, reviewer=sales)
    before = history_for(contract).filter(field="status").count()

    # when the action runs
    ACTIONS[action](contract, sales)

    # then the contract is in the target state, and one status history row records it
    contract = Contract.objects.get(pk=contract.pk)
    target = ALLOWED[(state, action)]
    assert contract.status == target
    rows = list(history_for(contract).filter(field="status"))
    assert len(rows) == before + 1
    assert (rows[-1].from_state, rows[-1].to_state) == (state, target)
    assert rows[-1].by_user == sales
    if target in REVIEW_STATUS:
        assert contract.review_status == REVIEW_STATUS[target]


@pytest.mark.parametrize(
    ("state", "action"),
    [pytest.param(s, a, id=f"{s}-{a}") for s, a in MATRIX if (s, a) not in ALLOWED],
)
def test_forbidden_contract_transition_is_refused_and_changes_nothing(tenant, sales, state, action):
    # given a contract in the state
    contract = contract_in(state, reviewer=sales)
    review_status = contract.review_status
    before = history_for(contract).count()

    # when the action runs, then it is refused
    with pytest.raises(IllegalTransition):
        ACTIONS[action](contract, sales)

    # and neither status moved nor a history row was written
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.status == state
    assert contract.review_status == review_status
    assert history_for(contract).count() == before


def test_submitting_puts_the_contract_in_the_review_queue(tenant, sales):
    contract = contract_in(S.DRAFT, reviewer=sales)
    assert not ReviewItem.objects.filter(entity_type="contract", object_id=contract.pk).exists()

    contract_submit(contract=contract, by=sales)

    item = ReviewItem.objects.get(entity_type="contract", object_id=contract.pk)
    assert item.status == ReviewStatus.PENDING_REVIEW
    assert item.amount == contract.total
    assert item.requires_admin is False


def test_rejection_voids_the_revision_and_closes_its_review(tenant, sales):
    contract = contract_in(S.PENDING_REVIEW, reviewer=sales)

    contract_review_decide(contract=contract, decision="reject", by=sales, reason="wrong terms")

    contract = Contract.objects.get(pk=contract.pk)
    assert (contract.status, contract.review_status) == (S.VOID, ReviewStatus.REJECTED)
    assert ReviewItem.objects.get(object_id=contract.pk, entity_type="contract").status == (
        ReviewStatus.REJECTED
    )


def test_sent_contract_still_valid_cannot_expire(tenant, sales):
    contract = contract_in(S.SENT, reviewer=sales)

    with pytest.raises(IllegalTransition):
        contract_expire(contract=contract)


def test_expiry_sweep_expires_only_overdue_sent_contracts(tenant, sales):
    overdue = make_past_due(contract_in(S.SENT, reviewer=sales))
    current = contract_in(S.SENT, reviewer=sales)

    expired = contracts_expire_due(run_id="0b7d1a4c-1f5e-4f43-8a55-3a9e7e6b2c10")

    assert [c.pk for c in expired] == [overdue.pk]
    assert Contract.objects.get(pk=overdue.pk).status == S.EXPIRED
    assert Contract.objects.get(pk=current.pk).status == S.SENT
    assert contracts_expire_due() == []


def test_sending_an_approved_contract_past_its_validity_is_refused(tenant, sales):
    contract = make_past_due(contract_in(S.APPROVED, reviewer=sales))

    with pytest.raises(IllegalTransition.__base__):
        contract_send(contract=contract)

    assert Contract.objects.get(pk=contract.pk).status == S.APPROVED


def test_database_refuses_a_status_past_review_without_approval(tenant, sales):
    contract = contract_in(S.PENDING_REVIEW, reviewer=sales)

    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.filter(pk=contract.pk).update(status=S.SENT)


def test_database_refuses_a_signed_contract_without_signing_time(tenant, sales):
    contract = contract_in(S.SIGNED, reviewer=sales)

    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.filter(pk=contract.pk).update(signed_at=None)


def test_signing_records_when(tenant, sales):
    contract = contract_in(S.SIGNED, reviewer=sales)

    assert contract.signed_at is not None
    assert contract.signed_at <= timezone.now()
    assert contract.sent_at is not None
    assert contract.sent_at <= contract.signed_at
    assert isinstance(contract.deal.expected_close_date, datetime.date | None)


def test_a_regeneration_request_voids_the_revision(tenant, sales):
    contract = contract_in(S.PENDING_REVIEW, reviewer=sales)

    contract_review_decide(
        contract=contract, decision="regenerate", by=sales, reason="offer annual billing"
    )

    contract = Contract.objects.get(pk=contract.pk)
    assert (contract.status, contract.review_status) == (
        S.VOID,
        ReviewStatus.REGENERATE_REQUESTED,
    )
    assert "offer annual billing" in history_for(contract).filter(field="status").last().reason


def test_rejection_hook_voids_once_whoever_decided(tenant, sales):
    # given a contract rejected through the plain review service
    contract = contract_in(S.PENDING_REVIEW, reviewer=sales)
    result = review_decide(
        entity_type="contract",
        entity_id=contract.pk,
        decision="reject",
        by=sales,
        reason="missing SLA",
    )

    # when the rejection hook runs (again), then the revision is void exactly once
    contract_on_rejected(Contract.objects.get(pk=contract.pk), result.decision)
    contract_on_rejected(Contract.objects.get(pk=contract.pk), result.decision)

    contract = Contract.objects.get(pk=contract.pk)
    assert contract.status == S.VOID
    assert history_for(contract).filter(transition="void").count() == 1


def test_edit_and_approve_changes_terms_and_refuses_invalid_edits(tenant, sales):
    from revo.core.exceptions import InvalidInput

    contract = contract_in(S.PENDING_REVIEW, reviewer=sales)

    with pytest.raises(InvalidInput):
        contract_review_decide(
            contract=contract,
            decision="edit_approve",
            by=sales,
            edits={"payment_terms_net_days": 400},
        )
    contract_review_decide(
        contract=contract,
        decision="edit_approve",
        by=sales,
        edits={"payment_terms_net_days": 45, "terms": "Quarterly invoicing"},
    )

    contract = Contract.objects.get(pk=contract.pk)
    assert (contract.status, contract.payment_terms_net_days, contract.terms) == (
        S.APPROVED,
        45,
        "Quarterly invoicing",
    )
    assert contract.edited is True
