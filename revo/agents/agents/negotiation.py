"""The negotiation agent: drafts the contract of a deal in negotiation (lines from the
price list, priced by code, the discount within the pricing policy), and answers a
customer's counter-offer with our next round and a new contract revision. Contracts never
auto-approve: each draft and revision goes to review (an admin's when its discount is above
the no-approval limit)."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from revo.agents import base
from revo.agents.agents.common import (
    agent_settings,
    answer_data,
    finding_flags,
    injection_flags,
    llm_fields,
    sales_sender,
    tenant_name,
)
from revo.agents.agents.pricing import CENT, HUNDRED, offer_build
from revo.contracts.lock_objects import contract_lock
from revo.contracts.models import (
    OPEN_CONTRACT_STATUSES,
    Contract,
    NegotiationParty,
    NegotiationRound,
)
from revo.contracts.selectors import pricing_policy_get
from revo.contracts.services import (
    LineInput,
    contract_create,
    contract_lines_set,
    contract_revise,
    contract_submit,
    contract_update,
    lines_price,
    negotiation_round_record,
    pricing_policy_ensure,
)
from revo.core.exceptions import InvalidInput
from revo.deals.lock_objects import deal_lock
from revo.deals.models import Deal, DealStage
from revo.llm.generate import LLMResult, generate

PAYMENT_DAYS = 30
VALID_FOR_DAYS = 30


def _terms_text(data: dict[str, Any]) -> str:
    clauses = data.get("clauses") if isinstance(data.get("clauses"), list) else []
    parts = [str(data.get("title", "")).strip(), str(data.get("summary", "")).strip()]
    for number, clause in enumerate(clauses, start=1):
        if isinstance(clause, dict):
            parts.append(f"{number}. {clause.get('heading', '')}\n{clause.get('text', '')}")
    return "\n\n".join(part for part in parts if part)


def _start_date(today: datetime.date) -> datetime.date:
    """The first day of next month."""
    return (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _last_round_party() -> Subquery:
    return Subquery(
        NegotiationRound.objects.filter(contract=OuterRef("pk"))
        .order_by("-number")
        .values("party")[:1]
    )


def _awaits_our_answer(contract: Contract) -> bool:
    if contract.status not in OPEN_CONTRACT_STATUSES:
        return False
    if Contract.objects.filter(supersedes=contract).exists():
        return False
    last = contract.negotiation_rounds.order_by("-number").first()
    return last is not None and last.party == NegotiationParty.CUSTOMER


def _flag_admin(flags: list[str], discount: Decimal, policy: Any) -> None:
    if discount > policy.max_discount_pct_without_admin:
        flags.append(
            f"discount {discount}% is above the {policy.max_discount_pct_without_admin}% "
            "no-approval limit: an admin must decide"
        )


@base.register
class NegotiationAgent(base.BaseAgent):
    name = "negotiation"
    item_type = "negotiation_item"

    def select(self, context: base.AgentContext) -> list[str]:
        deals = (
            Deal.objects.filter(stage=DealStage.NEGOTIATION)
            .exclude(Exists(Contract.objects.filter(deal=OuterRef("pk"))))
            .order_by("stage_changed_at", "id")
            .values_list("pk", flat=True)
        )
        countered = (
            Contract.objects.filter(status__in=OPEN_CONTRACT_STATUSES)
            .exclude(Exists(Contract.objects.filter(supersedes=OuterRef("pk"))))
            .annotate(last_party=_last_round_party())
            .filter(last_party=NegotiationParty.CUSTOMER)
            .order_by("updated_at", "id")
            .values_list("pk", flat=True)
        )
        return [f"deal:{pk}" for pk in deals] + [f"contract:{pk}" for pk in countered]

    def process(self, item_id: str, context: base.AgentContext) -> base.ItemResult:
        kind, _, pk = str(item_id).partition(":")
        if kind == "deal" and pk.isdigit():
            return self._draft(int(pk), context)
        if kind == "contract" and pk.isdigit():
            return self._counter(int(pk), context)
        raise InvalidInput(f"unknown negotiation item {item_id!r}")

    # -- a first contract draft -------------------------------------------------------------

    def _draft(self, pk: int, context: base.AgentContext) -> base.ItemResult:
        settings = agent_settings()
        with transaction.atomic():
            deal = deal_lock(pk=pk)
            if deal.stage != DealStage.NEGOTIATION:
                return base.ItemResult.skipped(f"deal is {deal.stage}")
            if Contract.objects.filter(deal=deal).exists():
                return base.ItemResult.skipped("the deal has a contract")
            lead = deal.lead
        offer = offer_build(settings)
        discount = offer.discount_for(deal.amount)
        if discount > offer.policy.hard_floor_discount_pct:
            raise InvalidInput(
                f"refused: the deal amount {deal.amount} {deal.currency} needs {discount}% off "
                f"the list total {offer.list_total}, beyond the pricing floor of "
                f"{offer.policy.hard_floor_discount_pct}%"
            )
        lines = offer.line_inputs(discount)
        priced = lines_price(lines=lines, policy=offer.policy, currency=deal.currency)
        today = timezone.localdate()
        tenant = getattr(connection, "tenant", None)
        result = generate(
            "negotiation.contract_draft",
            {
                "supplier": {
                    "name": settings.sender_company or tenant_name(),
                    "address": getattr(tenant, "postal_address", "") or "",
                },
                "customer": {
                    "company": lead.company or lead.full_name or lead.email,
                    "address": lead.country or "",
                    "contact_name": lead.full_name,
                },
                "line_items": [
                    {
                        "product": line.description,
                        "quantity": format(line.quantity.normalize(), "f"),
                        "unit_price": str(line.unit_price),
                    }
                    for line in priced.lines
                ],
                "total": str(priced.total),
                "currency": deal.currency,
                "terms": {
                    "term_months": settings.contract_term_months,
                    "start_date": _start_date(today).isoformat(),
                    "payment_days": PAYMENT_DAYS,
                },
                "pricing": offer.pricing_context(),
                "allowed_amounts": [
                    str(priced.total),
                    str(priced.subtotal),
                    *[str(line.unit_price) for line in priced.lines],
                    *[str(line.line_total) for line in priced.lines],
                ],
                "counterparty_requests": deal.next_step,
            },
            run_id=context.run_id,
            agent=self.name,
        )
        data = answer_data(result, required=("title", "summary"))
        flags = [*finding_flags(result), *injection_flags(requests=deal.next_step)]
        _flag_admin(flags, discount, offer.policy)
        with transaction.atomic():
            locked = deal_lock(pk=pk)
            if (
                locked.stage != DealStage.NEGOTIATION
                or Contract.objects.filter(deal=locked).exists()
            ):
                return base.ItemResult.skipped("a contract was drafted meanwhile")
            contract = contract_create(
                deal=locked,
                lines=lines,
                payment_terms_net_days=PAYMENT_DAYS,
                valid_until=today + datetime.timedelta(days=VALID_FOR_DAYS),
                terms=_terms_text(data),
                run_id=context.run_id,
                agent=self.name,
                flagged_reasons=flags,
                **llm_fields(result),
            )
            contract_submit(contract=contract, run_id=context.run_id)
        return base.ItemResult.processed(
            f"contract r1 for {contract.total} {contract.currency}", artifacts=1
        )

    # -- a counter-proposal to the customer's offer -------------------------------------------

    def _counter(self, pk: int, context: base.AgentContext) -> base.ItemResult:
        settings = agent_settings()
        with transaction.atomic():
            contract = contract_lock(pk=pk)
            if not _awaits_our_answer(contract):
                return base.ItemResult.skipped("no customer offer awaits an answer")
            asked = contract.negotiation_rounds.order_by("-number").first()
            deal = contract.deal
            lead = deal.lead
            lines = list(contract.lines.order_by("position"))
        policy = pricing_policy_get() or pricing_policy_ensure()
        current = contract.max_line_discount_pct
        floor_total = (
            contract.subtotal * (HUNDRED - policy.hard_floor_discount_pct) / HUNDRED
        ).quantize(CENT, rounding=ROUND_HALF_UP)
        message = "\n".join(part for part in (asked.notes, asked.terms) if part) or (
            f"The customer offers {asked.offered_price} {asked.currency}."
        )
        result = generate(
            "negotiation.counter_proposal",
            {
                "deal": {"name": deal.name, "currency": contract.currency},
                "current_offer": {"total": str(contract.total), "discount_pct": str(current)},
                "pricing": {
                    "max_discount_pct": str(policy.hard_floor_discount_pct),
                    "floor_price": str(floor_total),
                    "list_prices": {line.description: str(line.unit_price) for line in lines},
                },
                "allowed_amounts": [str(contract.total), str(contract.subtotal)],
                "sender": sales_sender(settings),
                "contact": {"first_name": lead.first_name, "last_name": lead.last_name},
                "recipient_email": lead.email,
                "counterparty_message": message,
            },
            run_id=context.run_id,
            agent=self.name,
        )
        data = answer_data(result, required=("subject", "body"))
        flags = [*finding_flags(result), *injection_flags(customer_message=message)]
        discount = self._counter_discount(data, asked, contract, policy, flags)
        _flag_admin(flags, discount, policy)
        new_lines = [
            LineInput(
                sku=line.sku,
                quantity=line.quantity,
                description="" if line.sku else line.description,
                unit_price=None if line.sku else line.unit_price,
                unit=line.unit,
                discount_pct=discount,
            )
            for line in lines
        ]
        priced = lines_price(lines=new_lines, policy=policy, currency=contract.currency)
        concessions = [str(c).strip() for c in data.get("concessions") or [] if str(c).strip()]
        with transaction.atomic():
            old = contract_lock(pk=pk)
            if not _awaits_our_answer(old):
                return base.ItemResult.skipped("answered meanwhile")
            negotiation_round_record(
                contract=old,
                party=NegotiationParty.US,
                offered_price=priced.total,
                discount_pct=discount,
                terms="; ".join(concessions),
                notes=f"{data['subject']}\n\n{data['body']}",
                run_id=context.run_id,
            )
            revision = contract_revise(
                contract=old,
                run_id=context.run_id,
                reason=f"counter-proposal to round {asked.number}",
            )
            contract_lines_set(
                contract=revision, lines=new_lines, run_id=context.run_id, reason="counter-offer"
            )
            if concessions:
                contract_update(
                    contract=revision,
                    terms="\n\n".join(
                        part
                        for part in (revision.terms, "Concessions: " + "; ".join(concessions))
                        if part
                    ),
                    run_id=context.run_id,
                    reason="concessions of the counter-proposal",
                )
            _artifact_metadata(revision, result, flags, self.name, context.run_id)
            contract_submit(contract=revision, run_id=context.run_id)
        return base.ItemResult.processed(
            f"round {asked.number + 1} at {priced.total} ({discount}% off), "
            f"revision {revision.revision}",
            artifacts=1,
        )

    @staticmethod
    def _counter_discount(
        data: dict[str, Any],
        asked: NegotiationRound,
        contract: Contract,
        policy: Any,
        flags: list[str],
    ) -> Decimal:
        """The discount we offer: what the model proposed, never less than our current
        offer, never more than the customer asked for, never beyond the pricing floor."""
        try:
            proposed = Decimal(str(data.get("proposed_discount_pct", 0))).quantize(CENT)
        except (InvalidOperation, ValueError):
            proposed = Decimal("0.00")
        current = contract.max_line_discount_pct
        wanted = asked.discount_pct
        if not wanted and contract.subtotal > 0 and asked.offered_price < contract.subtotal:
            wanted = (
                HUNDRED * (contract.subtotal - asked.offered_price) / contract.subtotal
            ).quantize(CENT, rounding=ROUND_HALF_UP)
        discount = max(current, proposed)
        if wanted and discount > max(wanted, current):
            discount = max(wanted, current)
        if discount > policy.hard_floor_discount_pct:
            flags.append(
                f"the model proposed {proposed}% off; bounded to the pricing floor of "
                f"{policy.hard_floor_discount_pct}%"
            )
            discount = policy.hard_floor_discount_pct
        return discount


def _artifact_metadata(
    contract: Contract, result: LLMResult, flags: list[str], agent: str, run_id: Any
) -> None:
    """A revision is created by ``contract_revise`` without the drafting agent's marks; set
    who drafted it, with what model and confidence, and what a reviewer should look at."""
    Contract.objects.filter(pk=contract.pk).update(
        agent=agent,
        run_id=run_id,
        flagged_reasons=flags,
        **llm_fields(result),
    )
