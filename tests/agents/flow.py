"""The lead-to-cash walk both flow tests take (in-process and through a real worker): one
lead from its first touch to a dunning notice, a person's review decision between the
stages. ``run_stage(agent, **options)`` executes one agent run and returns it, done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from revo.accounts.roles import Role
from revo.agents.models import AgentRun
from revo.billing.models import DunningNotice, Invoice
from revo.contracts.models import Contract
from revo.contracts.services import contract_send, contract_sign, negotiation_round_record
from revo.deals.models import Deal, DealProposal
from revo.deals.services import deal_advance
from revo.leads.models import Lead, OutreachMessage
from revo.leads.services import lead_record_contact, reply_record
from revo.reviews.models import ReviewItem
from revo.reviews.services import review_decide, review_mark_applied
from tests.factories import UserFactory
from tests.leads.factories import LeadFactory

RunStage = Callable[..., AgentRun]


@dataclass(frozen=True)
class Walk:
    lead: Lead
    first_touch: OutreachMessage
    deal: Deal
    invoice: Invoice


def _approve(entity_type: str, pk: int, by) -> None:  # noqa: ANN001
    review_decide(entity_type=entity_type, entity_id=pk, decision="approve", by=by)


def lead_to_dunning(run_stage: RunStage) -> Walk:
    sdr_user = UserFactory(role=Role.SDR)
    sales_user = UserFactory(role=Role.SALES)
    admin = UserFactory(role=Role.ADMIN)
    finance_user = UserFactory(role=Role.FINANCE)
    lead = LeadFactory(
        company="Rheinsoft", title="VP Sales", notes="Industry: software\nEmployees: 300"
    )

    # SDR: score and first touch; a person approves, the mail service sends it
    sdr = run_stage("sdr", phase="new_leads")
    assert (sdr.status, sdr.artifacts_created) == ("succeeded", 1)
    first_touch = OutreachMessage.objects.get(lead=lead, sequence_step=1)
    assert Lead.objects.get(pk=lead.pk).scored_at is not None
    _approve("outreach", first_touch.pk, sdr_user)
    review_mark_applied(artifact=OutreachMessage.objects.get(pk=first_touch.pk), reason="sent")
    lead_record_contact(lead=lead, at=timezone.now() - timedelta(days=1))

    # The lead answers; the SDR classifies the reply and the lead is engaged
    reply_record(lead=lead, from_email=lead.email, body="We are interested. Budget is there.")
    run_stage("sdr", phase="followups_and_replies")
    assert Lead.objects.get(pk=lead.pk).status == "engaged"

    # Sales: a deal and its proposal; approval lets the deal move on
    run_stage("sales")
    deal = Deal.objects.get(lead=lead)
    _approve("deal_proposal", DealProposal.objects.get(deal=deal).pk, sales_user)
    deal_advance(deal=deal, to="negotiation", by=sales_user, reason="terms under discussion")

    # Negotiation: a contract draft; approved, sent, countered; the counter-proposal
    run_stage("negotiation")
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
    counter = run_stage("negotiation")
    assert counter.processed == 1
    revision = Contract.objects.get(deal=deal, revision=2)
    _approve("contract", revision.pk, admin)
    revision = contract_send(contract=revision, by=sales_user)
    contract_sign(contract=revision, by=sales_user, reason="signed by the customer")

    # Finance: the invoice; approval issues it; once overdue, a dunning notice
    run_stage("finance")
    invoice = Invoice.objects.get(contract=revision)
    _approve("invoice", invoice.pk, finance_user)
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == "issued"
    assert invoice.number
    overdue = run_stage("finance", today=(invoice.due_date + timedelta(days=8)).isoformat())
    assert overdue.artifacts_created == 1
    assert DunningNotice.objects.filter(invoice=invoice).exists()

    queued_kinds = set(ReviewItem.objects.values_list("entity_type", flat=True))
    assert queued_kinds == {"outreach", "deal_proposal", "contract", "invoice", "dunning"}
    assert ReviewItem.objects.filter(entity_type="contract").count() == 2
    return Walk(lead=lead, first_touch=first_touch, deal=deal, invoice=invoice)
