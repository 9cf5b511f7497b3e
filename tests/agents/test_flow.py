"""The whole lead-to-cash flow, stage by stage in-process, with a person's review decision
between the stages (template backend: no model server needed)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from revo.accounts.roles import Role
from revo.billing.models import DunningNotice, Invoice
from revo.contracts.models import Contract
from revo.contracts.services import contract_send, contract_sign, negotiation_round_record
from revo.deals.models import Deal, DealProposal
from revo.deals.services import deal_advance
from revo.leads.models import Lead, OutreachMessage
from revo.leads.services import lead_record_contact, reply_record
from revo.reviews.models import ReviewItem
from revo.reviews.services import review_decide, review_mark_applied
from tests.agents.helpers import run_agent
from tests.factories import UserFactory
from tests.leads.factories import LeadFactory


def _approve(entity_type: str, pk: int, by) -> None:  # noqa: ANN001
    review_decide(entity_type=entity_type, entity_id=pk, decision="approve", by=by)


def test_lead_to_dunning_with_approvals_between_the_stages(agent_world, template_model, capsys):
    sdr_user = UserFactory(role=Role.SDR)
    sales_user = UserFactory(role=Role.SALES)
    admin = UserFactory(role=Role.ADMIN)
    finance_user = UserFactory(role=Role.FINANCE)
    lead = LeadFactory(
        company="Rheinsoft", title="VP Sales", notes="Industry: software\nEmployees: 300"
    )

    # SDR: score and first touch; a person approves, the mail service sends it
    sdr = run_agent("sdr", phase="new_leads")
    assert (sdr.status, sdr.artifacts_created) == ("succeeded", 1)
    first_touch = OutreachMessage.objects.get(lead=lead, sequence_step=1)
    assert first_touch.llm_backend == "template"
    _approve("outreach", first_touch.pk, sdr_user)
    review_mark_applied(artifact=OutreachMessage.objects.get(pk=first_touch.pk), reason="sent")
    lead_record_contact(lead=lead, at=timezone.now() - timedelta(days=1))

    # The lead answers; the SDR classifies the reply and the lead is engaged
    reply_record(lead=lead, from_email=lead.email, body="We are interested. Budget is there.")
    run_agent("sdr", phase="followups_and_replies")
    assert Lead.objects.get(pk=lead.pk).status == "engaged"

    # Sales (through the command): a deal and its proposal; approval moves the deal on
    call_command("run_pipeline", "--tenant", "test", "--agent", "sales", "--sync")
    assert "pipeline succeeded" in capsys.readouterr().out
    deal = Deal.objects.get(lead=lead)
    _approve("deal_proposal", DealProposal.objects.get(deal=deal).pk, sales_user)
    deal_advance(deal=deal, to="negotiation", by=sales_user, reason="terms under discussion")

    # Negotiation: a contract draft; approved, sent, countered by the customer
    run_agent("negotiation")
    first = Contract.objects.get(deal=deal, revision=1)
    _approve("contract", first.pk, admin)
    first = contract_send(contract=first, by=sales_user)
    negotiation_round_record(
        contract=first,
        party="customer",
        offered_price="10000.00",
        notes="Our budget is a little lower; can you move on the price?",
        by=sales_user,
    )
    counter = run_agent("negotiation")
    assert counter.processed == 1
    revision = Contract.objects.get(deal=deal, revision=2)
    _approve("contract", revision.pk, admin)
    revision = contract_send(contract=revision, by=sales_user)
    contract_sign(contract=revision, by=sales_user, reason="signed by the customer")

    # Finance: the invoice; approval issues it; once overdue, a dunning notice
    run_agent("finance")
    invoice = Invoice.objects.get(contract=revision)
    _approve("invoice", invoice.pk, finance_user)
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    assert invoice.number
    overdue = run_agent("finance", today=(invoice.due_date + timedelta(days=8)).isoformat())
    assert overdue.artifacts_created == 1
    assert DunningNotice.objects.filter(invoice=invoice).exists()

    queued_kinds = set(ReviewItem.objects.values_list("entity_type", flat=True))
    assert queued_kinds == {"outreach", "deal_proposal", "contract", "invoice", "dunning"}
    assert ReviewItem.objects.filter(entity_type="contract").count() == 2
