"""The invoice as a PDF, drawn by code from the invoice row (never written by a model)."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from revo.billing.dates import current_tenant
from revo.billing.models import Invoice
from revo.billing.selectors import billing_settings_current


def _text(value: object) -> str:
    """Escaped for reportlab's paragraph markup, line breaks kept."""
    return escape(str(value or "")).replace("\n", "<br/>")


def _amount(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _quantity(value: Decimal) -> str:
    normalized = value.normalize()
    return f"{normalized:f}" if normalized == normalized.to_integral() else f"{value:f}"


def invoice_pdf_render(invoice: Invoice) -> bytes:
    """The invoice document: seller (tenant name and postal address), number and dates,
    customer, lines, totals, payments received, balance, payment terms and instructions."""
    tenant = current_tenant()
    billing = billing_settings_current()
    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["Normal"], fontSize=9, leading=11)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Invoice {invoice.number or ''}".strip(),
        author=tenant.name,
    )
    currency = invoice.currency
    story: list = [
        Paragraph(_text(tenant.name), styles["Title"]),
        Paragraph(_text(tenant.postal_address), small),
        Spacer(1, 8 * mm),
        Paragraph(f"Invoice {_text(invoice.number or 'DRAFT')}", styles["Heading1"]),
    ]
    facts = [
        ["Invoice number", invoice.number or "DRAFT"],
        ["Issue date", invoice.issue_date.isoformat() if invoice.issue_date else "-"],
        ["Due date", invoice.due_date.isoformat() if invoice.due_date else "-"],
        ["Payment terms", f"Net {invoice.payment_terms_net_days} days"],
    ]
    story.append(Table(facts, colWidths=[40 * mm, 80 * mm], hAlign="LEFT"))
    story.append(Spacer(1, 6 * mm))
    customer = "<br/>".join(
        _text(part)
        for part in (
            invoice.customer_company,
            invoice.customer_name,
            invoice.customer_address,
            invoice.customer_email,
        )
        if part
    )
    story += [Paragraph("<b>Bill to</b>", styles["Normal"]), Paragraph(customer, styles["Normal"])]
    story.append(Spacer(1, 6 * mm))

    rows: list[list] = [["Description", "Qty", "Unit price", "Discount", "Line total"]]
    for line in invoice.lines.order_by("position"):
        rows.append(
            [
                Paragraph(_text(line.description), small),
                _quantity(line.quantity),
                _amount(line.unit_price, currency),
                f"{line.discount_pct:f}%",
                _amount(line.line_total, currency),
            ]
        )
    lines_table = Table(rows, colWidths=[70 * mm, 18 * mm, 32 * mm, 20 * mm, 34 * mm], repeatRows=1)
    lines_table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [lines_table, Spacer(1, 4 * mm)]

    totals = [
        ["Subtotal", _amount(invoice.subtotal, currency)],
        [f"Tax ({invoice.tax_rate_pct:f}%)", _amount(invoice.tax_amount, currency)],
        ["Total", _amount(invoice.total, currency)],
        ["Amount paid", _amount(invoice.amount_paid, currency)],
        ["Balance due", _amount(invoice.balance, currency)],
    ]
    totals_table = Table(totals, colWidths=[40 * mm, 34 * mm], hAlign="RIGHT")
    totals_table.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONTNAME", (0, 2), (-1, 2), "Helvetica-Bold"),
                ("FONTNAME", (0, 4), (-1, 4), "Helvetica-Bold"),
                ("LINEABOVE", (0, 2), (-1, 2), 0.5, colors.black),
            ]
        )
    )
    story += [totals_table, Spacer(1, 8 * mm)]

    story.append(Paragraph("<b>Payment</b>", styles["Normal"]))
    due = invoice.due_date.isoformat() if invoice.due_date else "the due date"
    story.append(
        Paragraph(
            f"Payment terms: net {invoice.payment_terms_net_days} days. "
            f"Please pay {_text(_amount(invoice.balance, currency))} by {due}.",
            small,
        )
    )
    instructions = invoice.payment_instructions or billing.payment_instructions
    if instructions:
        story.append(Paragraph(_text(instructions), small))
    if billing.bank_details:
        story.append(Paragraph(_text(billing.bank_details), small))
    if invoice.notes:
        story += [Spacer(1, 4 * mm), Paragraph(_text(invoice.notes), small)]
    doc.build(story)
    return buffer.getvalue()
