from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from revo.audit.selectors import history_for
from revo.billing.dates import tenant_today
from revo.billing.models import BillingSettings, Invoice, InvoiceStatus
from revo.billing.services import (
    invoice_create_from_contract,
    invoice_return_to_draft,
    invoice_submit_for_review,
    invoice_texts_update,
    invoice_void,
    invoice_write_off,
)
from revo.contracts.models import ContractStatus
from revo.contracts.services import LineInput
from revo.core.exceptions import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from revo.reviews.models import ReviewItem, ReviewStatus
from revo.reviews.services import review_decide
from tests.billing.factories import (
    invoice_approve,
    invoice_draft,
    invoice_issued,
    invoice_pending,
    signed_contract,
)
from tests.contracts.helpers import contract_in
from tests.factories import UserFactory


def test_invoice_from_signed_contract_copies_lines_terms_and_customer(tenant):
    contract = signed_contract(net_days=14, company="Initech GmbH")

    invoice = invoice_create_from_contract(contract=contract)

    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number is None
    assert invoice.currency == "EUR"
    assert invoice.payment_terms_net_days == 14
    assert invoice.customer_company == "Initech GmbH"
    assert invoice.customer_email == contract.deal.lead.email
    assert invoice.customer_name.startswith("Ada Buyer")
    lines = list(invoice.lines.order_by("position"))
    assert [(line.description, line.line_total) for line in lines] == [
        ("Platform licence, annual", Decimal("10800.00")),
        ("Onboarding workshop", Decimal("2850.00")),
    ]
    assert invoice.subtotal == Decimal("13650.00")
    assert invoice.total == invoice.balance == Decimal("13650.00")
    assert invoice.amount_paid == Decimal("0.00")


def test_invoice_uses_the_tenant_default_tax_rate(tenant):
    BillingSettings.objects.filter(singleton=True).update(default_tax_rate_pct=Decimal("19"))

    invoice = invoice_draft()

    assert invoice.tax_rate_pct == Decimal("19.00")
    assert invoice.tax_amount == Decimal("2593.50")
    assert invoice.total == invoice.balance == Decimal("16243.50")


def test_invoice_creation_writes_its_first_history_row(tenant):
    invoice = invoice_draft()

    rows = list(history_for(invoice).filter(field="status"))

    assert [(r.transition, r.from_state, r.to_state) for r in rows] == [("create", "", "draft")]


@pytest.mark.parametrize(
    "status",
    [ContractStatus.DRAFT, ContractStatus.APPROVED, ContractStatus.SENT, ContractStatus.DECLINED],
)
def test_unsigned_contract_is_not_invoiced(tenant, status):
    contract = contract_in(
        status,
        reviewer=UserFactory(role="sales"),
        lines=[LineInput(description="Licence", quantity="1", unit_price="100.00")],
    )

    with pytest.raises(Conflict, match="only signed contracts"):
        invoice_create_from_contract(contract=contract)
    assert not Invoice.objects.exists()


def test_a_contract_is_invoiced_once(tenant):
    contract = signed_contract()
    invoice_create_from_contract(contract=contract)

    with pytest.raises(Conflict, match="already has an invoice"):
        invoice_create_from_contract(contract=contract)
    assert Invoice.objects.filter(contract=contract).count() == 1


def test_database_refuses_a_second_live_invoice_for_a_contract(tenant):
    first = invoice_draft()
    clone = Invoice.objects.get(pk=first.pk)
    clone.pk = None
    clone.id = None

    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_a_voided_invoice_frees_the_contract_for_a_new_one(tenant):
    first = invoice_draft()
    invoice_void(invoice=first, reason="wrong tax")

    second = invoice_create_from_contract(contract=first.contract)

    assert second.pk != first.pk
    assert second.status == InvoiceStatus.DRAFT


def test_submitting_puts_the_invoice_in_the_review_queue(tenant):
    invoice = invoice_pending()

    item = ReviewItem.objects.get(entity_type="invoice", object_id=invoice.pk)
    assert item.status == ReviewStatus.PENDING_REVIEW
    assert item.amount == invoice.total
    assert item.currency == "EUR"
    assert invoice.ai_original == {
        "notes": "",
        "payment_instructions": invoice.payment_instructions,
    }


def test_approval_issues_the_invoice_with_number_dates_and_pdf(tenant, finance):
    invoice = invoice_pending(net_days=14)

    issued = invoice_approve(invoice, by=finance)

    today = tenant_today()
    assert issued.status == InvoiceStatus.ISSUED
    assert issued.number == f"INV-{today.year}-0001"
    assert issued.issue_date == today
    assert issued.due_date == today + timedelta(days=14)
    assert issued.review_status == ReviewStatus.APPLIED
    assert issued.pdf.name.startswith(f"invoices/test/{issued.number}")
    assert issued.pdf.read().startswith(b"%PDF")
    item = ReviewItem.objects.get(entity_type="invoice", object_id=invoice.pk)
    assert item.status == ReviewStatus.APPLIED
    issue_row = history_for(issued).get(field="status", transition="issue")
    assert (issue_row.from_state, issue_row.to_state, issue_row.by_user) == (
        "pending_review",
        "issued",
        finance,
    )
    assert issue_row.data == {"number": issued.number}


def test_sales_cannot_decide_invoices(tenant):
    invoice = invoice_pending()
    sales = UserFactory(role="sales")

    with pytest.raises(PermissionDenied):
        review_decide(entity_type="invoice", entity_id=invoice.pk, decision="approve", by=sales)
    assert Invoice.objects.get(pk=invoice.pk).number is None


def test_reviewer_may_edit_notes_but_never_amounts(tenant, finance):
    invoice = invoice_pending()

    with pytest.raises(InvalidInput, match="not editable"):
        review_decide(
            entity_type="invoice",
            entity_id=invoice.pk,
            decision="edit_approve",
            by=finance,
            edits={"total": "1.00"},
        )
    result = review_decide(
        entity_type="invoice",
        entity_id=invoice.pk,
        decision="edit_approve",
        by=finance,
        edits={"notes": "PO 4711"},
    )

    issued = Invoice.objects.get(pk=result.artifact.pk)
    assert issued.notes == "PO 4711"
    assert issued.status == InvoiceStatus.ISSUED
    assert issued.total == Decimal("13650.00")


def test_rejected_invoice_goes_back_to_draft_and_can_be_resubmitted(tenant, finance):
    invoice = invoice_pending()
    review_decide(
        entity_type="invoice", entity_id=invoice.pk, decision="reject", by=finance, reason="PO"
    )

    draft = invoice_return_to_draft(invoice=invoice, by=finance, reason="add PO")
    invoice_texts_update(invoice=draft, notes="PO 4711", payment_instructions="Pay now")
    resubmitted = invoice_submit_for_review(invoice=draft)

    assert resubmitted.status == InvoiceStatus.PENDING_REVIEW
    assert resubmitted.review_status == ReviewStatus.PENDING_REVIEW
    item = ReviewItem.objects.get(entity_type="invoice", object_id=invoice.pk)
    assert item.status == ReviewStatus.PENDING_REVIEW
    assert invoice_approve(resubmitted, by=finance).status == InvoiceStatus.ISSUED


def test_an_undecided_invoice_cannot_go_back_to_draft(tenant):
    invoice = invoice_pending()

    with pytest.raises(IllegalTransition):
        invoice_return_to_draft(invoice=invoice)


def test_only_drafts_have_editable_texts(tenant):
    invoice = invoice_pending()

    with pytest.raises(Conflict, match="only drafts"):
        invoice_texts_update(invoice=invoice, notes="x", payment_instructions="y")


def test_voiding_an_invoice_under_review_takes_it_out_of_the_queue(tenant, finance):
    invoice = invoice_pending()

    voided = invoice_void(invoice=invoice, reason="duplicate", by=finance)

    assert voided.status == InvoiceStatus.VOID
    assert voided.review_status == ReviewStatus.REJECTED
    item = ReviewItem.objects.get(entity_type="invoice", object_id=invoice.pk)
    assert item.status == ReviewStatus.REJECTED
    row = history_for(voided).get(field="status", transition="void")
    assert (row.reason, row.by_user) == ("duplicate", finance)


@pytest.mark.parametrize("action", [invoice_void, invoice_write_off], ids=["void", "write-off"])
def test_void_and_write_off_need_a_reason(tenant, action):
    invoice = invoice_issued()

    with pytest.raises(InvalidInput, match="reason"):
        action(invoice=invoice, reason="  ")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.ISSUED


def test_write_off_keeps_the_number_and_records_the_balance(tenant, finance):
    invoice = invoice_issued()

    written_off = invoice_write_off(invoice=invoice, reason="insolvent", by=finance)

    assert written_off.status == InvoiceStatus.WRITTEN_OFF
    assert written_off.number == invoice.number
    row = history_for(written_off).get(transition="write_off")
    assert row.data == {"balance": "13650.00"}


def test_is_overdue_needs_an_open_balance_after_the_due_date(tenant):
    invoice = invoice_issued(net_days=10)
    due = invoice.due_date

    assert not invoice.is_overdue_on(due)
    assert invoice.is_overdue_on(due + timedelta(days=1))
    assert not invoice.is_overdue


def test_the_customer_is_taken_as_of_the_issue_date_and_then_frozen(tenant):
    from revo.leads.services import lead_update

    invoice = invoice_pending(company="Initech GmbH")
    lead = invoice.contract.deal.lead
    lead_update(lead=lead, data={"company": "Initech AG"})

    issued = invoice_approve(invoice)
    lead_update(lead=lead, data={"company": "Initrode"})

    issued.refresh_from_db()
    assert issued.customer_company == "Initech AG"
