"""Opening a deal from a lead, and editing it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revo.audit.selectors import history_for
from revo.core.exceptions import Conflict, IllegalTransition, InvalidInput
from revo.deals.models import Deal, DealStage, QualificationLevel
from revo.deals.services import deal_create_from_lead, deal_delete, deal_mark_lost, deal_update
from revo.leads.models import Lead, LeadStatus
from revo.leads.services import lead_transition
from tests.deals.factories import DealFactory, DealProposalFactory, qualified_lead
from tests.leads.factories import LeadFactory


def test_deal_from_qualified_lead_converts_the_lead_in_the_same_transaction(tenant, sales):
    # given a qualified lead
    lead = qualified_lead(company="Initech")

    # when a deal is opened from it
    deal = deal_create_from_lead(
        lead=lead,
        amount=Decimal("5000.00"),
        qualification={"budget": "met", "budget_rationale": "CFO confirmed 5k"},
        by=sales,
    )

    # then the deal starts in qualification, in the tenant's currency, and the lead is converted
    assert deal.stage == DealStage.QUALIFICATION
    assert deal.probability == 10
    assert deal.currency == tenant.default_currency
    assert deal.name == "Initech"
    assert deal.budget == QualificationLevel.MET
    assert deal.budget_rationale == "CFO confirmed 5k"
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONVERTED
    assert [(r.transition, r.to_state) for r in history_for(deal)] == [("create", "qualification")]
    assert history_for(lead).last().to_state == LeadStatus.CONVERTED


@pytest.mark.parametrize(
    "path",
    [[], ["contact"], ["contact", "engage"], ["contact", "disqualify"]],
    ids=["new", "contacted", "engaged", "disqualified"],
)
def test_deal_from_unqualified_lead_is_refused(tenant, path):
    lead = LeadFactory()
    for name in path:
        lead = lead_transition(lead=lead, transition=name)

    with pytest.raises(IllegalTransition):
        deal_create_from_lead(lead=lead)

    assert not Deal.objects.filter(lead=lead).exists()


def test_second_deal_from_a_converted_lead_is_refused(tenant):
    deal = DealFactory()

    with pytest.raises(IllegalTransition):
        deal_create_from_lead(lead=deal.lead)

    assert Deal.objects.filter(lead=deal.lead).count() == 1


def test_bad_deal_input_leaves_the_lead_qualified_and_no_deal(tenant):
    lead = qualified_lead()

    with pytest.raises(InvalidInput) as exc:
        deal_create_from_lead(lead=lead, amount="-5", qualification={"need": "maybe"})

    assert set(exc.value.details) == {"amount", "need"}
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFIED
    assert not Deal.objects.filter(lead=lead).exists()


def test_failed_lead_conversion_rolls_back_the_deal(tenant, monkeypatch):
    # given the leads service refusing the conversion after the deal row was written
    lead = qualified_lead()

    def refuse(**kwargs: object) -> None:
        raise Conflict("lead is locked by an import")

    monkeypatch.setattr("revo.deals.services.lead_transition", refuse)

    # when a deal is opened, then it fails and no deal remains
    with pytest.raises(Conflict):
        deal_create_from_lead(lead=lead)
    assert not Deal.objects.filter(lead=lead).exists()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.QUALIFIED


def test_update_changes_fields_and_writes_one_history_row(tenant, sales):
    deal = DealFactory()
    before = history_for(deal).count()

    updated = deal_update(
        deal=deal,
        by=sales,
        amount=Decimal("20000.00"),
        next_step="Demo on Tuesday",
        authority="partial",
        authority_rationale="Head of ops decides with the CFO",
    )

    assert updated.amount == Decimal("20000.00")
    assert updated.next_step == "Demo on Tuesday"
    assert updated.authority == "partial"
    rows = list(history_for(deal))
    assert len(rows) == before + 1
    assert rows[-1].transition == "update"
    assert rows[-1].data["amount"] == {"before": "12000.00", "after": "20000.00"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "abc"),
        ("amount", 1.5),
        ("amount", "1.234"),
        ("probability", 150),
        ("name", ""),
        ("timeline", "soon"),
        ("stage", "won"),
        ("lost_reason", "x"),
    ],
    ids=[
        "amount-text",
        "amount-float",
        "amount-3-decimals",
        "probability-150",
        "name-empty",
        "timeline-unknown-level",
        "stage-not-editable",
        "lost-reason-not-editable",
    ],
)
def test_update_refuses_invalid_values_and_changes_nothing(tenant, field, value):
    deal = DealFactory()

    with pytest.raises(InvalidInput):
        deal_update(deal=deal, **{field: value})

    fresh = Deal.objects.get(pk=deal.pk)
    assert fresh.amount == Decimal("12000.00")
    assert fresh.stage == DealStage.QUALIFICATION


def test_closed_deal_cannot_be_edited(tenant):
    deal = DealFactory()
    deal_mark_lost(deal=deal, reason="no budget")

    with pytest.raises(Conflict):
        deal_update(deal=deal, amount=Decimal("1.00"))


def test_currency_is_fixed_once_a_proposal_exists(tenant):
    proposal = DealProposalFactory()

    with pytest.raises(Conflict, match="currency"):
        deal_update(deal=proposal.deal, currency="USD")


def test_deleting_a_deal_hides_it_and_keeps_its_history(tenant, sales):
    deal = DealFactory()

    deal_delete(deal=deal, reason="duplicate of another deal", by=sales)

    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert Deal.all_objects.get(pk=deal.pk).deleted_at is not None
    assert history_for(deal).last().transition == "delete"
    assert history_for(deal).last().reason == "duplicate of another deal"


def test_a_deal_with_a_contract_cannot_be_deleted(tenant):
    from tests.contracts.factories import ContractFactory

    contract = ContractFactory()

    with pytest.raises(Conflict, match="contract"):
        deal_delete(deal=contract.deal, reason="oops")

    assert Deal.objects.filter(pk=contract.deal_id).exists()


def test_deleting_needs_a_reason(tenant):
    deal = DealFactory()

    with pytest.raises(InvalidInput):
        deal_delete(deal=deal, reason="")
