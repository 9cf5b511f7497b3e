"""Helpers for the agent tests: a scripted "model" answering the fake Ollama server by
prompt, the reference data the agents need, and a way to run one agent in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from revo.agents import services
from revo.agents.models import AgentRun, AgentRunItem, AgentSettings
from revo.contracts.models import PriceListItem
from revo.contracts.services import price_list_item_create, pricing_policy_update
from revo.llm.services import auto_approval_rule_save

PACKAGE = [{"sku": "PIPE-GROWTH", "quantity": 1}, {"sku": "ONBOARD", "quantity": 2}]
LIST_TOTAL = Decimal("11500.00")  # 9600 + 2 x 950

Answer = dict[str, Any] | str


def _prompt_kind(request: dict[str, Any]) -> str:
    required = set((request.get("format") or {}).get("required") or [])
    properties = set((request.get("format") or {}).get("properties") or {})
    if "fit" in required:
        return "score"
    if "classification" in required:
        return "classify"
    if "budget" in required:
        return "qualify"
    if "clauses" in required:
        return "contract"
    if "proposed_discount_pct" in required:
        return "counter"
    if "tone" in required:
        return "dunning"
    if "summary" in required and "discount_pct" in properties:
        return "proposal"
    user = next((m["content"] for m in request.get("messages", []) if m.get("role") == "user"), "")
    return "follow_up" if "Our previous email" in user else "first_touch"


def _user_text(request: dict[str, Any]) -> str:
    return "\n".join(
        m.get("content", "") for m in request.get("messages", []) if m.get("role") == "user"
    )


def _classify(request: dict[str, Any]) -> dict[str, Any]:
    text = _user_text(request).lower()
    for needle, label in (
        ("remove me", "unsubscribe"),
        ("out of office", "out_of_office"),
        ("undeliverable", "bounce"),
        ("not interested", "not_interested"),
        ("next quarter", "not_now"),
        ("interested", "interested"),
    ):
        if needle in text:
            return {
                "classification": label,
                "summary": f"The lead wrote back ({label}).",
                "not_before": "2099-01-15" if label == "not_now" else None,
            }
    return {
        "classification": "question",
        "summary": "The lead asked a question.",
        "not_before": None,
    }


DEFAULT_ANSWERS: dict[str, Callable[[dict[str, Any]], Answer]] = {
    "score": lambda r: {
        "score": 80,
        "fit": "strong",
        "rationale": "Sales leader at a software company of the right size.",
        "signals": ["software", "sales leadership"],
    },
    "first_touch": lambda r: {
        "subject": "Fewer manual follow-ups for your team",
        "body": "Hi there,\n\nTeams like yours use our drafts so reps spend time on "
        "conversations, not typing. Would a short call next week help?\n\nBest regards,\nAlex",
    },
    "follow_up": lambda r: {
        "subject": "Following up on my note",
        "body": "Hi again,\n\nOne more reason to talk: every draft is reviewed by a person "
        "before it goes out. Is this worth a short call?\n\nBest regards,\nAlex",
    },
    "classify": _classify,
    "qualify": lambda r: {
        "budget": {"met": "yes", "rationale": "They named a budget."},
        "authority": {"met": "yes", "rationale": "The VP signs off."},
        "need": {"met": "yes", "rationale": "Manual follow-ups cost time."},
        "timeline": {"met": "yes", "rationale": "Live before Q2."},
        "amount": {"value": None, "currency": "EUR"},
        "next_step": "Walk through the proposal on a call this week.",
        "disqualify": False,
        "disqualify_reason": "",
    },
    "proposal": lambda r: {
        "subject": "Your proposal",
        "summary": "Proposal for the standard package.",
        "body": "Hi,\n\nThank you for the conversations so far. The attached proposal lists "
        "each item and the total.\n\nBest regards,\nAlex",
        "discount_pct": 0,
    },
    "contract": lambda r: {
        "title": "Subscription Agreement",
        "summary": "Twelve-month subscription.",
        "clauses": [
            {"heading": "Parties", "text": "The supplier and the customer."},
            {"heading": "Services", "text": "The products listed in the order."},
            {"heading": "Term", "text": "Twelve months."},
        ],
    },
    "counter": lambda r: {
        "subject": "Re: your offer",
        "body": "Hi,\n\nThank you for your message. We can meet you part of the way and add "
        "onboarding support.\n\nBest regards,\nAlex",
        "proposed_discount_pct": 10,
        "concessions": ["Hands-on onboarding support"],
        "requires_approval": True,
    },
    "dunning": lambda r: {
        "subject": "Friendly reminder about your invoice",
        "body": "Dear customer,\n\nThis is a friendly reminder that your invoice is due. "
        "If you have already paid, please ignore this message.\n\nKind regards,\nPetra",
        "tone": "friendly",
    },
}


class ScriptedModel:
    """Answers every chat request by its prompt; ``answers[kind]`` overrides one kind,
    ``fail_when(kind, needle)`` makes requests mentioning ``needle`` answer garbage."""

    def __init__(self) -> None:
        self.answers: dict[str, Callable[[dict[str, Any]], Answer]] = dict(DEFAULT_ANSWERS)
        self.garbage: list[tuple[str, str]] = []
        self.kinds: list[str] = []

    def fail_when(self, kind: str, needle: str) -> None:
        self.garbage.append((kind, needle))

    def __call__(self, request: dict[str, Any]) -> str:
        kind = _prompt_kind(request)
        self.kinds.append(kind)
        text = _user_text(request)
        if any(k == kind and needle in text for k, needle in self.garbage):
            return "this is not JSON"
        answer = self.answers[kind](request)
        return answer if isinstance(answer, str) else json.dumps(answer)


def reference_data(*, package: list[dict[str, Any]] | None = None) -> AgentSettings:
    """A price list, the pricing policy (15 % without an admin, floor 30 %) and agent
    settings with the standard package."""
    pricing_policy_update(
        max_discount_pct_without_admin="15", hard_floor_discount_pct="30", currency="EUR"
    )
    for sku, name, price in (
        ("PIPE-GROWTH", "Pipeline Growth (annual)", "9600.00"),
        ("ONBOARD", "Onboarding workshop", "950.00"),
    ):
        if not PriceListItem.objects.filter(sku=sku).exists():
            price_list_item_create(sku=sku, name=name, unit_price=price)
    settings, _ = AgentSettings.objects.update_or_create(
        singleton=True,
        defaults={
            "icp": "B2B software companies in Europe with 50-1000 employees.",
            "target_industries": ["software"],
            "sender_company": "Acme Revenue GmbH",
            "offering_name": "Acme Pipeline",
            "offering_pitch": "drafting follow-ups",
            "offering_summary": "Acme Pipeline drafts follow-up emails for sales teams.",
            "offer_package": PACKAGE if package is None else package,
            "follow_up_after_days": 4,
            "max_follow_ups": 2,
        },
    )
    return settings


def rule(action_type: str, *, min_confidence: str = "0.5", max_amount: str | None = None) -> None:
    """An enabled auto-approval rule without sampling (deterministic tests)."""
    auto_approval_rule_save(
        action_type=action_type,
        min_confidence=Decimal(min_confidence),
        enabled=True,
        max_amount=Decimal(max_amount) if max_amount else None,
        currency="EUR" if max_amount else "",
        sample_rate=Decimal("0"),
    )


def run_agent(name: str, **options: Any) -> AgentRun:
    """Create and execute one run of agent ``name`` in-process; the finished run."""
    run = services.agent_run_create(
        agent=name, trigger="cli", options=options, enqueue=False, sync=True
    ).run
    services.agent_run_execute(run_id=str(run.run_id))
    run.refresh_from_db()
    return run


def items(run: AgentRun, outcome: str | None = None) -> list[AgentRunItem]:
    rows = AgentRunItem.objects.filter(run=run).order_by("id")
    return list(rows.filter(outcome=outcome) if outcome else rows)


def contacted_lead(*, days_ago: int, **lead_fields: Any) -> Any:
    """A lead whose first touch was approved and sent ``days_ago`` days ago."""
    from datetime import timedelta

    from django.utils import timezone

    from revo.accounts.roles import Role
    from revo.leads.services import lead_record_contact, outreach_draft_create
    from revo.reviews.services import review_decide, review_mark_applied
    from tests.factories import UserFactory
    from tests.leads.factories import LeadFactory

    lead = LeadFactory(**lead_fields)
    message = outreach_draft_create(lead=lead, subject="First touch", body="Hi, a short call?")
    reviewer = UserFactory(role=Role.SDR)
    review_decide(entity_type="outreach", entity_id=message.pk, decision="approve", by=reviewer)
    review_mark_applied(artifact=message, reason="sent")
    return lead_record_contact(lead=lead, at=timezone.now() - timedelta(days=days_ago))


def engaged_lead(reply_body: str = "We are interested; budget is there.", **fields: Any) -> Any:
    """A contacted lead that replied with interest (reply handled, lead engaged)."""
    from revo.leads.services import (
        lead_apply_reply_classification,
        reply_classify,
        reply_mark_handled,
        reply_record,
    )

    lead = contacted_lead(days_ago=3, **fields)
    reply = reply_record(
        lead=lead, from_email=lead.email, subject="Re: First touch", body=reply_body
    )
    reply_classify(reply=reply, classification="interested")
    reply_mark_handled(reply=reply)
    return lead_apply_reply_classification(lead=lead, classification="interested").lead


def deal_in_negotiation(amount: str = "11500.00", company: str = "Havelsoft") -> Any:
    from revo.deals.services import deal_advance, deal_create_from_lead
    from revo.leads.services import lead_transition
    from tests.leads.factories import LeadFactory

    lead = LeadFactory(company=company)
    lead_transition(lead=lead, transition="engage")
    lead_transition(lead=lead, transition="qualify")
    deal = deal_create_from_lead(lead=lead, amount=amount, currency="EUR")
    deal_advance(deal=deal, to="proposal")
    return deal_advance(deal=deal, to="negotiation")


def countered_contract(*, asked_pct: str = "10", notes: str = "Can you do 10% off?") -> Any:
    """A sent contract for the standard package (11,500.00) with our offer and the
    customer's counter-offer recorded."""
    from revo.accounts.roles import Role
    from revo.contracts.models import Contract
    from revo.contracts.services import (
        LineInput,
        contract_create,
        contract_review_decide,
        contract_send,
        contract_submit,
        negotiation_round_record,
    )
    from tests.factories import UserFactory

    admin = UserFactory(role=Role.ADMIN)
    deal = deal_in_negotiation()
    contract = contract_create(
        deal=deal,
        lines=[LineInput(sku="PIPE-GROWTH", quantity=1), LineInput(sku="ONBOARD", quantity=2)],
    )
    contract_submit(contract=contract)
    contract_review_decide(contract=contract, decision="approve", by=admin)
    contract = contract_send(contract=Contract.objects.get(pk=contract.pk), by=admin)
    negotiation_round_record(
        contract=contract, party="us", offered_price=contract.total, by=admin, notes="Offer"
    )
    pct = Decimal(asked_pct)
    negotiation_round_record(
        contract=contract,
        party="customer",
        offered_price=(contract.total * (100 - pct) / 100).quantize(Decimal("0.01")),
        discount_pct=pct,
        notes=notes,
        by=admin,
    )
    return contract
