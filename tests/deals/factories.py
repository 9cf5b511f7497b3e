"""Deals and proposals, created through their services from qualified leads."""

from __future__ import annotations

from decimal import Decimal

import factory

from revo.deals.models import Deal, DealProposal
from revo.deals.services import deal_create_from_lead, deal_proposal_create
from revo.leads.models import Lead
from revo.leads.services import lead_transition
from tests.factories import ServiceFactory
from tests.leads.factories import LeadFactory


def qualified_lead(**kwargs: object) -> Lead:
    """A lead taken new → contacted → engaged → qualified through the leads service."""
    lead = LeadFactory(**kwargs)
    for name in ("contact", "engage", "qualify"):
        lead = lead_transition(lead=lead, transition=name)
    return lead


class DealFactory(ServiceFactory):
    class Meta:
        model = Deal

    lead = factory.LazyFunction(qualified_lead)
    name = factory.Sequence(lambda n: f"Deal {n}")
    amount = Decimal("12000.00")
    currency = "EUR"

    @classmethod
    def _create(cls, model_class: type[Deal], **kwargs: object) -> Deal:
        return deal_create_from_lead(**kwargs)


class DealProposalFactory(ServiceFactory):
    class Meta:
        model = DealProposal

    deal = factory.SubFactory(DealFactory)
    summary = "Annual subscription for 50 seats with onboarding."
    proposed_amount = Decimal("15000.00")
    next_step = "Send the proposal deck"
    qualification_notes = "Budget confirmed by the CFO."
    agent = "sales"

    @classmethod
    def _create(cls, model_class: type[DealProposal], **kwargs: object) -> DealProposal:
        return deal_proposal_create(**kwargs)
