"""The deal proposal artifact through the review gate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revo.audit.selectors import history_for
from revo.core.exceptions import Conflict, InvalidInput, PermissionDenied
from revo.deals.models import Deal, DealProposal, DealStage
from revo.deals.services import deal_advance, deal_mark_lost
from revo.reviews.models import ReviewDecision, ReviewItem, ReviewStatus
from revo.reviews.services import review_decide
from tests.deals.factories import DealFactory, DealProposalFactory


def test_new_proposal_waits_in_the_review_queue(tenant):
    proposal = DealProposalFactory(confidence=Decimal("0.800"))

    item = ReviewItem.objects.get(object_id=proposal.pk, entity_type="deal_proposal")
    assert item.status == ReviewStatus.PENDING_REVIEW
    assert item.amount == Decimal("15000.00")
    assert item.title.startswith("Proposal: ")
    assert proposal.ai_original["proposed_amount"] == "15000.00"


def test_approving_a_proposal_applies_it_to_the_deal(tenant, sales):
    # given a proposal for a deal in qualification
    proposal = DealProposalFactory(next_step="Book the kickoff")

    # when sales approves it
    review_decide(entity_type="deal_proposal", entity_id=proposal.pk, decision="approve", by=sales)

    # then the deal has the amount and next step and moved to proposal, and the artifact is applied
    deal = Deal.objects.get(pk=proposal.deal_id)
    assert deal.amount == Decimal("15000.00")
    assert deal.next_step == "Book the kickoff"
    assert deal.stage == DealStage.PROPOSAL
    assert deal.probability == 30
    assert DealProposal.objects.get(pk=proposal.pk).review_status == ReviewStatus.APPLIED
    assert [r.transition for r in history_for(deal)] == ["create", "update", "propose"]
    assert history_for(deal).last().by_user == sales


def test_edit_and_approve_applies_the_edited_amount(tenant, sales):
    proposal = DealProposalFactory()

    review_decide(
        entity_type="deal_proposal",
        entity_id=proposal.pk,
        decision="edit_approve",
        by=sales,
        edits={"proposed_amount": Decimal("13500.00")},
    )

    assert Deal.objects.get(pk=proposal.deal_id).amount == Decimal("13500.00")
    decision = ReviewDecision.objects.get(item__object_id=proposal.pk)
    assert decision.after == {"proposed_amount": "13500.00"}


def test_approving_a_proposal_for_a_deal_already_in_negotiation_keeps_the_stage(tenant, sales):
    deal = DealFactory()
    deal_advance(deal=deal, to=DealStage.PROPOSAL)
    deal_advance(deal=deal, to=DealStage.NEGOTIATION)
    proposal = DealProposalFactory(deal=deal)

    review_decide(entity_type="deal_proposal", entity_id=proposal.pk, decision="approve", by=sales)

    deal.refresh_from_db()
    assert deal.stage == DealStage.NEGOTIATION
    assert deal.amount == Decimal("15000.00")


def test_approval_for_a_deal_lost_meanwhile_is_refused_and_rolled_back(tenant, sales):
    proposal = DealProposalFactory()
    deal_mark_lost(deal=proposal.deal, reason="budget cut")

    with pytest.raises(Conflict):
        review_decide(
            entity_type="deal_proposal", entity_id=proposal.pk, decision="approve", by=sales
        )

    assert DealProposal.objects.get(pk=proposal.pk).review_status == ReviewStatus.PENDING_REVIEW
    assert not ReviewDecision.objects.filter(item__object_id=proposal.pk).exists()


def test_rejected_proposal_leaves_the_deal_alone(tenant, sales):
    proposal = DealProposalFactory()

    review_decide(
        entity_type="deal_proposal",
        entity_id=proposal.pk,
        decision="reject",
        by=sales,
        reason="amount too high",
    )

    deal = Deal.objects.get(pk=proposal.deal_id)
    assert deal.stage == DealStage.QUALIFICATION
    assert deal.amount == Decimal("12000.00")


@pytest.mark.parametrize("role_fixture", ["finance", "viewer"], ids=["finance", "viewer"])
def test_roles_without_decide_deal_cannot_approve(tenant, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    proposal = DealProposalFactory()

    with pytest.raises(PermissionDenied):
        review_decide(
            entity_type="deal_proposal", entity_id=proposal.pk, decision="approve", by=user
        )


def test_proposal_needs_a_summary_and_a_valid_amount(tenant):
    deal = DealFactory()

    with pytest.raises(InvalidInput):
        DealProposalFactory(deal=deal, summary=" ")
    with pytest.raises(InvalidInput):
        DealProposalFactory(deal=deal, proposed_amount="-1")
    assert not DealProposal.objects.filter(deal=deal).exists()


def test_proposal_for_a_closed_deal_is_refused(tenant):
    deal = DealFactory()
    deal_mark_lost(deal=deal, reason="no fit")

    with pytest.raises(Conflict):
        DealProposalFactory(deal=deal)


def test_edit_and_approve_refuses_a_negative_amount(tenant, sales):
    proposal = DealProposalFactory()

    with pytest.raises(InvalidInput):
        review_decide(
            entity_type="deal_proposal",
            entity_id=proposal.pk,
            decision="edit_approve",
            by=sales,
            edits={"proposed_amount": Decimal("-1.00")},
        )

    assert Deal.objects.get(pk=proposal.deal_id).stage == DealStage.QUALIFICATION
