from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from revo.billing.dates import tenant_today
from revo.billing.models import BillingSettings, Invoice
from revo.billing.pdf import invoice_pdf_render
from revo.billing.services import invoice_pdf_regenerate, payment_record
from tests.billing.factories import invoice_issued


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_issued_invoice_pdf_shows_seller_number_lines_and_totals(tenant):
    BillingSettings.objects.update(
        default_tax_rate_pct=Decimal("19"), bank_details="IBAN DE89 3704 0044 0532 0130 00"
    )
    invoice = invoice_issued(net_days=14, company="Initech GmbH")

    text = _text(invoice.pdf.read())

    assert "Test Ltd" in text
    assert "1 Test Street, Berlin" in text
    assert invoice.number in text
    assert invoice.issue_date.isoformat() in text
    assert invoice.due_date.isoformat() in text
    assert "Initech GmbH" in text
    assert "Platform licence, annual" in text
    assert "12,000.00 EUR" in text  # unit price
    assert "10.00%" in text  # discount
    assert "10,800.00 EUR" in text  # line total
    assert "Onboarding workshop" in text
    assert "2,850.00 EUR" in text
    assert "13,650.00 EUR" in text  # subtotal
    assert "2,593.50 EUR" in text  # tax
    assert "16,243.50 EUR" in text  # total
    assert "Net 14 days" in text
    assert "IBAN DE89 3704 0044 0532 0130 00" in text
    assert "quote the invoice number" in text  # default payment instructions


def test_regenerated_pdf_shows_payments_received(tenant):
    invoice = invoice_issued()
    payment_record(invoice=invoice, amount=Decimal("650.00"), received_on=tenant_today())
    before = invoice.pdf.name

    invoice_pdf_regenerate(invoice=invoice)

    refreshed = Invoice.objects.get(pk=invoice.pk)
    text = _text(refreshed.pdf.read())
    assert "Amount paid" in text
    assert "650.00 EUR" in text
    assert "13,000.00 EUR" in text  # balance due
    assert refreshed.pdf_generated_at is not None
    assert invoice.number in refreshed.pdf.name
    assert refreshed.pdf.name != before


def test_the_stored_pdf_is_not_rewritten_by_payments(tenant):
    invoice = invoice_issued()
    stored = invoice.pdf.read()

    payment_record(invoice=invoice, amount=Decimal("650.00"), received_on=tenant_today())

    refreshed = Invoice.objects.get(pk=invoice.pk)
    assert refreshed.pdf.read() == stored


def test_markup_in_customer_text_is_printed_not_interpreted(tenant):
    invoice = invoice_issued(company="<b>Evil & Co</b>")

    text = _text(invoice_pdf_render(invoice))

    assert "<b>Evil & Co</b>" in text
