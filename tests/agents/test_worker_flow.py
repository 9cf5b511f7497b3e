"""The whole lead-to-cash flow executed by a real Celery worker subprocess on the agent
queues, the agents talking to the fake Ollama server over HTTP, with a person's review
decision between the stages (taken in this process, as a reviewer would in the UI)."""

# ruff: noqa: F811 - the worker fixtures are imported into this module by name
from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from revo.accounts.roles import Role
from revo.agents import services
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
from tests.agents.helpers import reference_data
from tests.agents.worker_support import (
    agent_worker_env,
    model_server,  # noqa: F401 - fixture
    wait_for_run,
)
from tests.factories import UserFactory
from tests.leads.factories import LeadFactory
from tests.workers import celery_worker, committed_tenant  # noqa: F401 - fixtures


def _approve(entity_type: str, pk: int, by) -> None:  # noqa: ANN001
    review_decide(entity_type=entity_type, entity_id=pk, decision="approve", by=by)


def _through_worker(agent: str, **options: object) -> AgentRun:
    """Enqueue a run of ``agent`` (the worker picks it up) and wait until it is done."""
    run = services.agent_run_create(agent=agent, trigger="api", options=options).run
    done = wait_for_run(run, "succeeded", "dead", timeout=30)
    assert done.status == "succeeded", done.error_payload
    return done


def test_the_agent_queues_are_the_ones_the_flow_worker_listens_on(tenant):
    # given the settings' agent queues, when every agent's run is routed, then it has a queue
    from revo.agents.base import agent_names

    assert {f"agents.{name}" for name in agent_names()} <= set(django_settings.AGENT_QUEUES)


@pytest.mark.slow
def test_a_worker_runs_lead_to_dunning_with_approvals_between_the_stages(
    committed_tenant, celery_worker, model_server
):
    celery_worker(queues=list(django_settings.AGENT_QUEUES), env=agent_worker_env(model_server.url))
    reference_data()
    sdr_user = UserFactory(role=Role.SDR)
    sales_user = UserFactory(role=Role.SALES)
    admin = UserFactory(role=Role.ADMIN)
    finance_user = UserFactory(role=Role.FINANCE)
    lead = LeadFactory(
        company="Rheinsoft", title="VP Sales", notes="Industry: software\nEmployees: 300"
    )

    # SDR: score and first touch over the model server; a person approves, it is sent
    sdr = _through_worker("sdr", phase="new_leads")
    assert sdr.artifacts_created == 1
    first_touch = OutreachMessage.objects.get(lead=lead, sequence_step=1)
    assert first_touch.llm_backend == "ollama"
    _approve("outreach", first_touch.pk, sdr_user)
    review_mark_applied(artifact=OutreachMessage.objects.get(pk=first_touch.pk), reason="sent")
    lead_record_contact(lead=lead, at=timezone.now() - timedelta(days=1))

    # The lead answers; the SDR classifies the reply and the lead is engaged
    reply_record(lead=lead, from_email=lead.email, body="We are interested. Budget is there.")
    _through_worker("sdr", phase="followups_and_replies")
    assert Lead.objects.get(pk=lead.pk).status == "engaged"

    # Sales: a deal and its proposal; approval lets the deal move on
    _through_worker("sales")
    deal = Deal.objects.get(lead=lead)
    _approve("deal_proposal", DealProposal.objects.get(deal=deal).pk, sales_user)
    deal_advance(deal=deal, to="negotiation", by=sales_user, reason="terms under discussion")

    # Negotiation: a contract draft; approved, sent, countered; the counter-proposal
    _through_worker("negotiation")
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
    counter = _through_worker("negotiation")
    assert counter.processed == 1
    revision = Contract.objects.get(deal=deal, revision=2)
    _approve("contract", revision.pk, admin)
    revision = contract_send(contract=revision, by=sales_user)
    contract_sign(contract=revision, by=sales_user, reason="signed by the customer")

    # Finance: the invoice; approval issues it; once overdue, a dunning notice
    _through_worker("finance")
    invoice = Invoice.objects.get(contract=revision)
    _approve("invoice", invoice.pk, finance_user)
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    overdue = _through_worker("finance", today=(invoice.due_date + timedelta(days=8)).isoformat())
    assert overdue.artifacts_created == 1
    assert DunningNotice.objects.filter(invoice=invoice).exists()

    queued_kinds = set(ReviewItem.objects.values_list("entity_type", flat=True))
    assert queued_kinds == {"outreach", "deal_proposal", "contract", "invoice", "dunning"}
    assert model_server.count("/api/chat") >= 7
