"""Billing writes: invoices, payments, dunning notices and the tenant's billing defaults."""

from revo.billing.services.dunning import (
    dunning_notice_create,
    dunning_notices_cancel_open,
)
from revo.billing.services.invoices import (
    invoice_create_from_contract,
    invoice_issue,
    invoice_on_approved,
    invoice_pdf_regenerate,
    invoice_return_to_draft,
    invoice_submit_for_review,
    invoice_texts_update,
    invoice_void,
    invoice_write_off,
)
from revo.billing.services.payments import payment_record
from revo.billing.services.setup import billing_tenant_setup

__all__ = [
    "billing_tenant_setup",
    "dunning_notice_create",
    "dunning_notices_cancel_open",
    "invoice_create_from_contract",
    "invoice_issue",
    "invoice_on_approved",
    "invoice_pdf_regenerate",
    "invoice_return_to_draft",
    "invoice_submit_for_review",
    "invoice_texts_update",
    "invoice_void",
    "invoice_write_off",
    "payment_record",
]
