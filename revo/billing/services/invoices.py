"""Invoices: created from a signed contract, reviewed, issued with a gapless number."""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from revo.accounts.models import User
from revo.audit.services import record_creation, transition_apply
from revo.billing.calculations import invoice_totals, line_total
from revo.billing.dates import tenant_today
from revo.billing.lock_objects import invoice_lock, invoice_sequence_lock
from revo.billing.models import Invoice, InvoiceLine, InvoiceStatus
from revo.billing.pdf import invoice_pdf_render
from revo.billing.selectors import billing_settings_current
from revo.billing.services.dunning import dunning_notices_cancel_open
from revo.contracts.lock_objects import contract_lock
from revo.contracts.models import Contract, ContractStatus
from revo.core.exceptions import Conflict, InvalidInput
from revo.reviews.models import ReviewDecision, ReviewStatus
from revo.reviews.services import review_item_sync, review_mark_applied, review_submit

logger = logging.getLogger(__name__)

NUMBER_PREFIX = "INV"


def invoice_number_format(*, year: int, sequence: int) -> str:
    return f"{NUMBER_PREFIX}-{year}-{sequence:04d}"


def _customer_snapshot(contract: Contract) -> dict[str, str]:
    """Who the contract was signed with, copied when the invoice is drafted and again when
    it is issued, so later edits of the lead never change an issued invoice."""
    lead = contract.deal.lead
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part).strip()
    address_parts = [lead.country]
    return {
        "customer_name": name[:200],
        "customer_company": (lead.company or "")[:200],
        "customer_email": lead.email,
        "customer_address": "\n".join(part for part in address_parts if part),
    }


@transaction.atomic
def invoice_create_from_contract(
    *,
    contract: Contract,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
) -> Invoice:
    """A draft invoice with the contract's lines, currency and payment terms, the customer
    as it is now and the tenant's default tax rate. Only a signed contract is invoiced,
    and only once (unless its invoice was voided)."""
    contract = contract_lock(pk=contract.pk)
    if contract.status != ContractStatus.SIGNED:
        raise Conflict(
            f"contract {contract.pk} is {contract.status}; only signed contracts are invoiced"
        )
    if Invoice.objects.filter(contract=contract).exclude(status=InvoiceStatus.VOID).exists():
        raise Conflict(f"contract {contract.pk} already has an invoice")
    contract_lines = list(contract.lines.order_by("pk"))
    if not contract_lines:
        raise InvalidInput(f"contract {contract.pk} has no line items to invoice")

    settings_row = billing_settings_current()
    lines = [
        InvoiceLine(
            position=position,
            description=source.description,
            quantity=source.quantity,
            unit_price=source.unit_price,
            discount_pct=source.discount_pct,
            line_total=line_total(
                quantity=source.quantity,
                unit_price=source.unit_price,
                discount_pct=source.discount_pct,
            ),
        )
        for position, source in enumerate(contract_lines, start=1)
    ]
    totals = invoice_totals(
        line_totals=[line.line_total for line in lines],
        tax_rate_pct=settings_row.default_tax_rate_pct,
    )
    invoice = Invoice(
        contract=contract,
        currency=contract.currency,
        payment_terms_net_days=contract.payment_terms_net_days,
        tax_rate_pct=settings_row.default_tax_rate_pct,
        subtotal=totals.subtotal,
        tax_amount=totals.tax_amount,
        total=totals.total,
        amount_paid=0,
        balance=totals.total,
        payment_instructions=settings_row.payment_instructions,
        created_by=by,
        run_id=run_id,
        **_customer_snapshot(contract),
    )
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:
        raise Conflict(f"contract {contract.pk} already has an invoice") from None
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    record_creation(instance=invoice, by=by, run_id=run_id, reason=f"from contract {contract.pk}")
    logger.info(
        "invoice created",
        extra={"event": "invoice.created", "invoice": invoice.pk, "contract": contract.pk},
    )
    return invoice


@transaction.atomic
def invoice_submit_for_review(
    *, invoice: Invoice, by: User | None = None, run_id: uuid.UUID | str | None = None
) -> Invoice:
    """Put a draft into the review queue (again, after it was sent back)."""
    locked = invoice_lock(invoice.pk)
    transition_apply(instance=locked, transition="submit_for_review", by=by, run_id=run_id)
    if locked.review_status in (ReviewStatus.REJECTED, ReviewStatus.REGENERATE_REQUESTED):
        transition_apply(
            instance=locked,
            transition="review_reopen",
            field="review_status",
            by=by,
            run_id=run_id,
            reason="resubmitted",
        )
    review_submit(artifact=locked, by=by, run_id=run_id)
    return locked


@transaction.atomic
def invoice_return_to_draft(
    *, invoice: Invoice, by: User | None = None, reason: str = ""
) -> Invoice:
    """A rejected (or sent back) invoice becomes an editable draft again."""
    locked = invoice_lock(invoice.pk)
    return transition_apply(instance=locked, transition="return_to_draft", by=by, reason=reason)


@transaction.atomic
def invoice_texts_update(
    *, invoice: Invoice, notes: str, payment_instructions: str, by: User | None = None
) -> Invoice:
    """Notes and payment instructions of a draft; amounts are never edited by hand."""
    locked = invoice_lock(invoice.pk)
    if locked.status != InvoiceStatus.DRAFT:
        raise Conflict(f"invoice {locked} is {locked.status}; only drafts can be edited")
    locked.notes = notes
    locked.payment_instructions = payment_instructions
    locked.save(update_fields=["notes", "payment_instructions", "updated_at"])
    return locked


def _next_number(issue_date: date) -> str:
    sequence = invoice_sequence_lock(issue_date.year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number", "updated_at"])
    return invoice_number_format(year=issue_date.year, sequence=sequence.last_number)


def _pdf_store(invoice: Invoice) -> None:
    """Render the PDF from the invoice and keep it; the previous file goes once committed."""
    previous = invoice.pdf.name if invoice.pdf else ""
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(invoice_pdf_render(invoice)), save=False)
    invoice.pdf_generated_at = timezone.now()
    invoice.save(update_fields=["pdf", "pdf_generated_at", "updated_at"])
    if previous and previous != invoice.pdf.name:
        storage = invoice.pdf.storage
        transaction.on_commit(lambda: storage.delete(previous))


@transaction.atomic
def invoice_issue(
    *,
    invoice: Invoice,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    issue_date: date | None = None,
) -> Invoice:
    """Issue an approved invoice: the next number of the year (taken under the sequence
    lock in this transaction, so a failure leaves no gap), issue and due dates, the
    customer as of today, the PDF, and the review artifact marked applied."""
    locked = invoice_lock(invoice.pk)
    if not can_proceed(locked.issue):
        transition_apply(instance=locked, transition="issue", by=by, run_id=run_id)
    issue_date = issue_date or tenant_today()
    locked.number = _next_number(issue_date)
    locked.issue_date = issue_date
    locked.due_date = issue_date + timedelta(days=locked.payment_terms_net_days)
    locked.issued_at = timezone.now()
    snapshot = _customer_snapshot(locked.contract)
    for field, value in snapshot.items():
        setattr(locked, field, value)
    transition_apply(
        instance=locked,
        transition="issue",
        by=by,
        run_id=run_id,
        data={"number": locked.number},
        update_fields=["number", "issue_date", "due_date", "issued_at", *snapshot],
    )
    _pdf_store(locked)
    review_mark_applied(artifact=locked, by=by, run_id=run_id, reason=f"issued as {locked.number}")
    locked.refresh_from_db(fields=["review_status"])
    logger.info(
        "invoice issued",
        extra={"event": "invoice.issued", "invoice": locked.pk, "number": locked.number},
    )
    return locked


def invoice_on_approved(artifact: Invoice, decision: ReviewDecision) -> None:
    """Review gate callback: an approved invoice is issued in the decision's transaction."""
    invoice_issue(invoice=artifact, by=decision.by_user, run_id=decision.by_run_id)


@transaction.atomic
def invoice_pdf_regenerate(*, invoice: Invoice, by: User | None = None) -> Invoice:
    """Render the stored PDF again (e.g. after a template change), on explicit request."""
    locked = invoice_lock(invoice.pk)
    if not locked.number:
        raise Conflict(f"invoice {locked} has not been issued; it has no PDF yet")
    _pdf_store(locked)
    logger.info(
        "invoice pdf regenerated",
        extra={
            "event": "invoice.pdf_regenerated",
            "invoice": locked.pk,
            "by": getattr(by, "pk", None),
        },
    )
    return locked


def _reason_required(reason: str, action: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"a reason is required to {action} an invoice")
    return reason


@transaction.atomic
def invoice_void(
    *, invoice: Invoice, reason: str, by: User | None = None, run_id: uuid.UUID | str | None = None
) -> Invoice:
    """Cancel an invoice nothing was paid on. One under review leaves the queue; an issued
    one keeps its number (voided, not deleted), and its open reminders are cancelled."""
    reason = _reason_required(reason, "void")
    locked = invoice_lock(invoice.pk)
    was_under_review = locked.status == InvoiceStatus.PENDING_REVIEW
    transition_apply(instance=locked, transition="void", by=by, run_id=run_id, reason=reason)
    if was_under_review and locked.review_status == ReviewStatus.PENDING_REVIEW:
        transition_apply(
            instance=locked,
            transition="reject",
            field="review_status",
            by=by,
            run_id=run_id,
            reason=f"invoice voided: {reason}",
        )
        review_item_sync(artifact=locked)
    dunning_notices_cancel_open(invoice=locked, reason="void", by=by, run_id=run_id)
    return locked


@transaction.atomic
def invoice_write_off(
    *, invoice: Invoice, reason: str, by: User | None = None, run_id: uuid.UUID | str | None = None
) -> Invoice:
    """Give up the open balance; reminders not yet sent are cancelled."""
    reason = _reason_required(reason, "write off")
    locked = invoice_lock(invoice.pk)
    transition_apply(
        instance=locked,
        transition="write_off",
        by=by,
        run_id=run_id,
        reason=reason,
        data={"balance": str(locked.balance)},
    )
    dunning_notices_cancel_open(invoice=locked, reason="written_off", by=by, run_id=run_id)
    return locked
