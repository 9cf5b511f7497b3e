"""The sales agent: qualifies engaged leads (BANT). A qualified lead becomes a deal with
its qualification, an amount bounded by the price list and a next step, plus a proposal
artifact for review; a poor fit is disqualified with the reason."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from revo.agents import base
from revo.agents.agents.common import (
    agent_settings,
    answer_data,
    auto_approval_apply,
    finding_flags,
    injection_flags,
    llm_fields,
    sales_sender,
)
from revo.agents.agents.pricing import Offer, offer_build
from revo.agents.scoring import lead_facts
from revo.deals.services import deal_create_from_lead, deal_proposal_create
from revo.leads.lock_objects import lead_lock
from revo.leads.models import Lead, LeadStatus, OutreachMessage, Reply
from revo.leads.services import lead_transition
from revo.llm.generate import LLMResult, generate

LEVELS = {"yes": "met", "no": "not_met", "unknown": "unknown"}
BANT = ("budget", "authority", "need", "timeline")
MAX_CONVERSATION = 6000


def _conversation(lead: Lead) -> str:
    """Our sent emails and the lead's replies, oldest first."""
    entries: list[tuple[Any, str]] = []
    for message in OutreachMessage.objects.filter(lead=lead, review_status="applied"):
        entries.append((message.created_at, f"Us: {message.subject}\n{message.body}"))
    for reply in Reply.objects.filter(lead=lead):
        who = lead.first_name or "Lead"
        entries.append((reply.received_at, f"{who}: {reply.subject}\n{reply.body}"))
    entries.sort(key=lambda entry: entry[0])
    text = "\n\n".join(text for _, text in entries) or "(no conversation recorded)"
    return text[-MAX_CONVERSATION:]


def _qualification(data: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in BANT:
        entry = data.get(name) if isinstance(data.get(name), dict) else {}
        values[name] = LEVELS.get(str(entry.get("met", "unknown")), "unknown")
        values[f"{name}_rationale"] = str(entry.get("rationale", "")).strip()[:500]
    return values


def _model_amount(data: dict[str, Any], currency: str) -> Decimal | None:
    amount = data.get("amount")
    if not isinstance(amount, dict) or amount.get("value") is None:
        return None
    if str(amount.get("currency", currency)).upper() != currency:
        return None
    try:
        value = Decimal(str(amount["value"]))
    except (InvalidOperation, ValueError):
        return None
    return value if value >= 0 else None


@base.register
class SalesAgent(base.BaseAgent):
    name = "sales"
    item_type = "lead"

    def select(self, context: base.AgentContext) -> list[int]:
        return list(
            Lead.objects.filter(status=LeadStatus.ENGAGED)
            .order_by("status_changed_at", "id")
            .values_list("pk", flat=True)
        )

    def process(self, item_id: int, context: base.AgentContext) -> base.ItemResult:
        settings = agent_settings()
        with transaction.atomic():
            lead = lead_lock(item_id)
            if lead.status != LeadStatus.ENGAGED:
                return base.ItemResult.skipped(f"lead is {lead.status}")
            conversation = _conversation(lead)
        offer = offer_build(settings)
        currency = offer.policy.currency
        facts = lead_facts(lead)
        deal_name = f"{lead.company or lead.email} - {settings.offering_name}"[:200]
        qualified = generate(
            "sales.qualify_lead",
            {
                "lead": {
                    "first_name": lead.first_name,
                    "last_name": lead.last_name,
                    "title": lead.title,
                    "company": lead.company,
                    "company_size": facts.company_size or "unknown",
                },
                "deal": {"name": deal_name, "currency": currency},
                "conversation": conversation,
                "lead_notes": lead.notes,
            },
            run_id=context.run_id,
            agent=self.name,
        )
        data = answer_data(qualified, required=("next_step",))
        flags = [
            *finding_flags(qualified),
            *injection_flags(conversation=conversation, notes=lead.notes),
        ]
        reason = str(data.get("disqualify_reason") or "").strip()
        if data.get("disqualify") is True and reason and not flags:
            return self._disqualify(lead, reason, context)
        if data.get("disqualify") is True:
            flags.append(f"the model suggested disqualifying: {reason or 'no reason given'}")
        return self._qualify(lead, data, qualified, offer, deal_name, flags, settings, context)

    def _disqualify(self, lead: Lead, reason: str, context: base.AgentContext) -> base.ItemResult:
        with transaction.atomic():
            locked = lead_lock(lead.pk)
            if locked.status != LeadStatus.ENGAGED:
                return base.ItemResult.skipped("lead moved meanwhile")
            lead_transition(
                lead=locked,
                transition="disqualify",
                run_id=context.run_id,
                reason=f"poor fit: {reason}"[:500],
            )
        return base.ItemResult.processed(f"disqualified: {reason[:200]}")

    def _qualify(
        self,
        lead: Lead,
        data: dict[str, Any],
        qualified: LLMResult,
        offer: Offer,
        deal_name: str,
        flags: list[str],
        settings: Any,
        context: base.AgentContext,
    ) -> base.ItemResult:
        currency = offer.policy.currency
        asked = _model_amount(data, currency)
        amount = offer.clamp_amount(asked)
        if asked is not None and asked != amount:
            flags.append(f"the model's amount {asked} was bounded to {amount} by the price list")
        discount = offer.discount_for(amount)
        qualification = _qualification(data)
        needs = "\n".join(
            f"{name}: {qualification[name]} - {qualification[f'{name}_rationale']}" for name in BANT
        )
        proposal = generate(
            "sales.proposal",
            {
                "lead": {
                    "first_name": lead.first_name,
                    "last_name": lead.last_name,
                    "title": lead.title,
                    "company": lead.company,
                },
                "deal": {"name": deal_name, "currency": currency},
                "sender": sales_sender(settings),
                "line_items": offer.line_items_context(),
                "total": str(amount),
                "discount_pct": str(discount),
                "pricing": offer.pricing_context(),
                "allowed_amounts": [str(amount), str(offer.list_total)],
                "recipient_email": lead.email,
                "needs": needs,
            },
            run_id=context.run_id,
            agent=self.name,
        )
        text = answer_data(proposal, required=("subject", "summary", "body"))
        flags += finding_flags(proposal)
        next_step = str(data.get("next_step", "")).strip()[:300]
        with transaction.atomic():
            locked = lead_lock(lead.pk)
            if locked.status != LeadStatus.ENGAGED:
                return base.ItemResult.skipped("lead moved meanwhile")
            lead_transition(
                lead=locked, transition="qualify", run_id=context.run_id, reason="BANT qualified"
            )
            deal = deal_create_from_lead(
                lead=locked,
                name=deal_name,
                amount=amount,
                currency=currency,
                next_step=next_step,
                qualification=qualification,
                run_id=context.run_id,
            )
            artifact = deal_proposal_create(
                deal=deal,
                summary=f"{text['summary']}\n\nSubject: {text['subject']}\n\n{text['body']}",
                proposed_amount=amount,
                next_step=next_step,
                qualification_notes=needs,
                run_id=context.run_id,
                agent=self.name,
                flagged_reasons=flags,
                **llm_fields(proposal),
            )
            approved = auto_approval_apply(
                artifact=artifact,
                action_type="deal.proposal",
                result=proposal,
                flags=flags if qualified.validators_passed else [*flags, "qualification invalid"],
                run_id=context.run_id,
                amount=amount,
                currency=currency,
            ).auto_approve
        return base.ItemResult.processed(
            f"deal #{deal.pk} for {amount} {currency}", artifacts=1, auto_approved=int(approved)
        )
