"""The finance agent: invoices signed contracts (every amount, date and number by code,
no model involved) and drafts dunning notices for overdue invoices by the tenant's levels.

Items are ``contract:<id>`` (signed, not invoiced) and ``invoice:<id>`` (a dunning level is
due today); ``options["phase"]`` limits a run to ``invoices`` or ``dunning``, and
``options["today"]`` (ISO date) replaces the tenant's today for the dunning ladder. An
invoice whose balance is cleared is never dunned: ``dunning_due`` skips it and the notice
service refuses it.

Auto-approval of a dunning notice takes both sides agreeing, inside the notice's write
transaction:

* the level: it is marked ``auto_approvable``, the open balance is within its
  ``auto_approve_max_amount``, and it is not the final level (tone ``final``, the one that
  announces collection steps: always reviewed);
* the tenant: an enabled ``AutoApprovalRule`` with action type ``dunning.level_<n>`` (one
  rule per level, e.g. ``dunning.level_1``) passes the shared gate
  (``auto_approval_apply``): validators passed, confidence at least the rule's minimum,
  the amount at stake (open balance + the level's fee) within its maximum, and the
  sampling share still sent to review.

A flagged notice never auto-approves: validator findings, instructions aimed at the model
in the customer's name or company, or an invoice number or amount in the text that is not
the invoice's. The decision's reason names the rule and the level's policy.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef

from revo.agents import base
from revo.agents.agents.common import (
    agent_settings,
    auto_approval_apply,
    finance_sender,
    finding_flags,
    injection_flags,
    llm_fields,
    valid_data,
)
from revo.billing.dates import tenant_today
from revo.billing.dunning_checks import (
    dunning_level_auto_approval_basis,
    dunning_level_auto_approval_refusal,
)
from revo.billing.lock_objects import invoice_lock
from revo.billing.models import (
    OPEN_STATUSES,
    ZERO,
    DunningLevel,
    DunningNotice,
    Invoice,
    InvoiceStatus,
)
from revo.billing.selectors import DunningCandidate, dunning_due
from revo.billing.services import (
    dunning_notice_create,
    invoice_create_from_contract,
    invoice_submit_for_review,
)
from revo.contracts.lock_objects import contract_lock
from revo.contracts.models import Contract, ContractStatus
from revo.core.exceptions import InvalidInput
from revo.llm.generate import LLMResult, generate

PHASE_INVOICES = "invoices"
PHASE_DUNNING = "dunning"


def _today(context: base.AgentContext) -> date:
    today = context.options.get("today")
    return date.fromisoformat(today) if today else tenant_today()


def _candidate(invoice_id: int, today: date) -> DunningCandidate | None:
    return next((c for c in dunning_due(today) if c.invoice.pk == invoice_id), None)


def dunning_action_type(level: DunningLevel) -> str:
    """The ``AutoApprovalRule`` action type that governs notices of ``level``."""
    return f"dunning.level_{level.level}"


def dunning_auto_approve_if_allowed(
    *, notice: DunningNotice, result: LLMResult, run_id: object
) -> tuple[bool, str]:
    """Auto-approve a fresh notice when its level and the tenant's rule both allow it (see
    the module docstring); (approved, why not) otherwise. Runs inside the caller's
    transaction, with the invoice locked."""
    level = notice.level
    refusal = dunning_level_auto_approval_refusal(level=level, balance=notice.invoice.balance)
    if refusal:
        return False, refusal
    amount, currency = notice.review_amount()
    decision = auto_approval_apply(
        artifact=notice,
        action_type=dunning_action_type(level),
        result=result,
        flags=list(notice.flagged_reasons),
        run_id=run_id,
        amount=amount,
        currency=currency,
        basis=dunning_level_auto_approval_basis(level),
    )
    return decision.auto_approve, "" if decision.auto_approve else decision.reason


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
        # A text the validators refused fails the item; the rest is flagged for the reviewer.
        data = valid_data(result)
        flags = [
            *finding_flags(result),
            *injection_flags(
                customer_company=invoice.customer_company, customer_name=invoice.customer_name
            ),
        ]
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
                flagged_reasons=flags,
                **llm_fields(result),
            )
            approved, why_not = dunning_auto_approve_if_allowed(
                notice=notice, result=result, run_id=context.run_id
            )
        detail = f"level {level.level} notice" + (f" for review: {why_not}" if why_not else "")
        return base.ItemResult.processed(detail[:300], artifacts=1, auto_approved=int(approved))
