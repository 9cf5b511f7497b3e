"""Billing rows of one tenant are invisible from another, and numbering is per tenant."""

from __future__ import annotations

import pytest

from revo.billing.dates import tenant_today
from revo.billing.models import (
    DunningNotice,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Payment,
)
from revo.billing.selectors import dunning_due, invoices_overdue
from revo.billing.services import payment_record
from tests.billing.factories import dunning_notice, invoice_issued


@pytest.mark.parametrize(
    "model",
    [Invoice, InvoiceLine, InvoiceSequence, Payment, DunningNotice],
    ids=lambda m: m.__name__,
)
def test_billing_rows_are_invisible_from_another_tenant(tenant, in_other_tenant, model):
    invoice = invoice_issued()
    payment_record(invoice=invoice, amount=invoice.balance / 2, received_on=tenant_today())
    dunning_notice(invoice, level=2)
    assert model.objects.exists()

    with in_other_tenant():
        assert not model.objects.exists()


def test_each_tenant_numbers_its_invoices_from_one(tenant, in_other_tenant):
    mine = invoice_issued()

    with in_other_tenant():
        theirs = invoice_issued()

    assert mine.number == theirs.number == f"INV-{tenant_today().year}-0001"


def test_selectors_only_see_the_current_tenant(tenant, in_other_tenant):
    invoice = invoice_issued(net_days=1)
    late = invoice.due_date.replace(year=invoice.due_date.year + 1)

    with in_other_tenant():
        assert list(invoices_overdue(late)) == []
        assert dunning_due(late) == []

    assert list(invoices_overdue(late)) == [invoice]
