"""The finance agent: invoices signed contracts (every amount, date and number by code,
no model involved) and drafts dunning notices for overdue invoices by the tenant's levels.

Items are ``contract:<id>`` (signed, not invoiced) and ``invoice:<id>`` (a dunning level is
due today); ``options["phase"]`` limits a run to ``invoices`` or ``dunning``, and
``options["today"]`` (ISO date) replaces the tenant's today for the dunning ladder. An
invoice whose balance is cleared is never dunned: ``dunning_due`` skips it and the notice
service refuses it.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef

from revo.agents import base
from revo.agents.agents.common import agent_settings, finance_sender, llm_fields, valid_data
from revo.billing.dates import tenant_today
from revo.billing.lock_objects import invoice_lock
from revo.billing.models import OPEN_STATUSES, ZERO, Invoice, InvoiceStatus
from revo.billing.selectors import DunningCandidate, dunning_due
from revo.billing.services import (
    dunning_notice_create,
    invoice_create_from_contract,
    invoice_submit_for_review,
)
from revo.contracts.lock_objects import contract_lock
from revo.contracts.models import Contract, ContractStatus
from revo.core.exceptions import InvalidInput
from revo.llm.generate import generate
from revo.reviews.models import ReviewStatus

PHASE_INVOICES = "invoices"
PHASE_DUNNING = "dunning"


def _today(context: base.AgentContext) -> date:
    today = context.options.get("today")
    return date.fromisoformat(today) if today else tenant_today()


def _candidate(invoice_id: int, today: date) -> DunningCandidate | None:
    return next((c for c in dunning_due(today) if c.invoice.pk == invoice_id), None)


@base.register
class FinanceAgent(base.BaseAgent):
    name = "finance"
    item_type = "finance_item"

    def select(self, context: base.AgentContext) -> list[str]:
        phase = context.options.get("phase") or "all"
        if phase not in ("all", PHASE_INVOICES, PHASE_DUNNING):
            raise InvalidInput(f"unknown finance phase {phase!r}")
        selected: list[str] = []
        if phase in ("all", PHASE_INVOICES):
            invoiced = Invoice.objects.filter(contract=OuterRef("pk")).exclude(
                status=InvoiceStatus.VOID
            )
            contracts = (
                Contract.objects.filter(status=ContractStatus.SIGNED)
                .exclude(Exists(invoiced))
                .order_by("signed_at", "id")
                .values_list("pk", flat=True)
            )
            selected += [f"contract:{pk}" for pk in contracts]
        if phase in ("all", PHASE_DUNNING):
            due = dunning_due(_today(context))
            selected += [f"invoice:{candidate.invoice.pk}" for candidate in due]
        return selected

    def process(self, item_id: str, context: base.AgentContext) -> base.ItemResult:
        kind, _, pk = str(item_id).partition(":")
        if kind == "contract" and pk.isdigit():
            return self._invoice(int(pk), context)
        if kind == "invoice" and pk.isdigit():
            return self._dunning(int(pk), context)
        raise InvalidInput(f"unknown finance item {item_id!r}")

    def _invoice(self, pk: int, context: base.AgentContext) -> base.ItemResult:
        with transaction.atomic():
            contract = contract_lock(pk=pk)
            if contract.status != ContractStatus.SIGNED:
                return base.ItemResult.skipped(f"contract is {contract.status}")
            if (
                Invoice.objects.filter(contract=contract)
                .exclude(status=InvoiceStatus.VOID)
                .exists()
            ):
                return base.ItemResult.skipped("the contract is invoiced")
            invoice = invoice_create_from_contract(contract=contract, run_id=context.run_id)
            invoice_submit_for_review(invoice=invoice, run_id=context.run_id)
        return base.ItemResult.processed(
            f"invoice for {invoice.total} {invoice.currency} submitted", artifacts=1
        )

    def _dunning(self, pk: int, context: base.AgentContext) -> base.ItemResult:
        today = _today(context)
        candidate = _candidate(pk, today)
        if candidate is None:
            return base.ItemResult.skipped("no dunning level is due")
        invoice, level = candidate.invoice, candidate.level
        settings = agent_settings()
        result = generate(
            "finance.dunning_notice",
            {
                "customer": {
                    "company": invoice.customer_company or invoice.customer_name,
                    "contact_name": invoice.customer_name,
                },
                "invoice": {
                    "number": invoice.number or f"#{invoice.pk}",
                    "amount_due": str(invoice.balance),
                    "currency": invoice.currency,
                    "due_date": invoice.due_date.isoformat(),
                    "days_overdue": max(0, (today - invoice.due_date).days),
                },
                "allowed_amounts": [str(invoice.balance), str(invoice.total)],
                "level": level.level,
                "tone": level.tone,
                "sender": finance_sender(settings),
                "recipient_email": invoice.customer_email,
            },
            run_id=context.run_id,
            agent=self.name,
        )
        # dunning_notice_create carries no flags and may auto-approve by level: a text the
        # validators refused never reaches it.
        data = valid_data(result)
        with transaction.atomic():
            locked = invoice_lock(pk)
            if locked.status not in OPEN_STATUSES or locked.balance <= ZERO:
                return base.ItemResult.skipped(f"invoice is {locked.status}")
            again = _candidate(pk, today)
            if again is None or again.level.pk != level.pk:
                return base.ItemResult.skipped("dunned meanwhile")
            notice = dunning_notice_create(
                invoice=locked,
                level=level,
                subject=data["subject"][:300],
                body=data["body"],
                run_id=context.run_id,
                agent=self.name,
                **llm_fields(result),
            )
        approved = notice.review_status == ReviewStatus.APPROVED and notice.auto_approved
        return base.ItemResult.processed(
            f"level {level.level} notice", artifacts=1, auto_approved=int(approved)
        )
