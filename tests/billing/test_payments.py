from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from revo.audit.selectors import history_for
from revo.billing.dates import tenant_today
from revo.billing.models import Invoice, InvoiceStatus, Payment
from revo.billing.services import payment_record
from revo.core.exceptions import IllegalTransition, InvalidInput
from revo.reviews.models import ReviewItem, ReviewStatus
from revo.reviews.services import review_decide
from tests.billing.factories import dunning_notice, invoice_issued, invoice_pending


def test_partial_payment_reduces_the_balance(tenant, finance):
    invoice = invoice_issued()

    payment = payment_record(
        invoice=invoice,
        amount=Decimal("650.00"),
        received_on=tenant_today(),
        reference="BANK-1",
        by=finance,
    )

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert invoice.amount_paid == Decimal("650.00")
    assert invoice.balance == Decimal("13000.00")
    assert invoice.paid_at is None
    assert (payment.currency, payment.recorded_by) == ("EUR", finance)
    row = history_for(invoice).filter(field="status").last()
    assert (row.transition, row.to_state, row.by_user) == (
        "pay_partially",
        "partially_paid",
        finance,
    )
    assert row.data["payment"] == payment.pk


def test_payments_that_clear_the_balance_mark_it_paid(tenant):
    invoice = invoice_issued()
    payment_record(invoice=invoice, amount=Decimal("13000.00"), received_on=tenant_today())

    payment_record(invoice=invoice, amount=Decimal("650.00"), received_on=tenant_today())

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.balance == Decimal("0.00")
    assert invoice.amount_paid == invoice.total
    assert invoice.paid_at is not None
    assert not invoice.is_overdue_on(invoice.due_date + timedelta(days=90))


def test_overpayment_is_refused_and_nothing_is_written(tenant):
    invoice = invoice_issued()
    payment_record(invoice=invoice, amount=Decimal("13000.00"), received_on=tenant_today())

    with pytest.raises(InvalidInput, match="overpayment"):
        payment_record(invoice=invoice, amount=Decimal("650.01"), received_on=tenant_today())

    invoice.refresh_from_db()
    assert invoice.balance == Decimal("650.00")
    assert invoice.payments.count() == 1


@pytest.mark.parametrize(
    ("amount", "kwargs", "message"),
    [
        ("0", {}, "greater than zero"),
        ("-5.00", {}, "greater than zero"),
        ("1.005", {}, "two decimal places"),
        ("abc", {}, "not a number"),
        ("10.00", {"currency": "USD"}, "differs from the invoice currency"),
        ("10.00", {"method": "barter"}, "unknown payment method"),
        ("10.00", {"days_ahead": 2}, "future"),
    ],
    ids=["zero", "negative", "sub-cent", "not-a-number", "currency", "method", "future"],
)
def test_bad_payments_are_refused(tenant, amount, kwargs, message):
    invoice = invoice_issued()
    received_on = tenant_today() + timedelta(days=kwargs.pop("days_ahead", 0))

    with pytest.raises(InvalidInput, match=message):
        payment_record(invoice=invoice, amount=amount, received_on=received_on, **kwargs)
    assert not Payment.objects.exists()


def test_an_invoice_not_yet_issued_takes_no_payment(tenant):
    invoice = invoice_pending()

    with pytest.raises(IllegalTransition, match="payments need an issued invoice"):
        payment_record(invoice=invoice, amount=Decimal("1.00"), received_on=tenant_today())


def test_database_refuses_a_non_positive_payment(tenant):
    invoice = invoice_issued()

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            invoice=invoice, amount=Decimal("0"), currency="EUR", received_on=tenant_today()
        )


def test_database_refuses_a_balance_that_does_not_add_up(tenant):
    invoice = invoice_issued()

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("1.00"))


def test_clearing_the_balance_cancels_pending_and_approved_notices(tenant, finance):
    invoice = invoice_issued()
    approved = dunning_notice(invoice, level=1)
    review_decide(entity_type="dunning", entity_id=approved.pk, decision="approve", by=finance)
    pending = dunning_notice(invoice, level=2)

    payment_record(invoice=invoice, amount=invoice.balance, received_on=tenant_today(), by=finance)

    for notice in (approved, pending):
        notice.refresh_from_db()
        assert notice.review_status == ReviewStatus.REJECTED
        assert notice.cancel_reason == "paid"
        assert notice.cancelled_at is not None
        item = ReviewItem.objects.get(entity_type="dunning", object_id=notice.pk)
        assert item.status == ReviewStatus.REJECTED
        row = history_for(notice).filter(field="review_status").last()
        assert (row.transition, row.reason, row.by_user) == ("cancel", "paid", finance)


def test_partial_payment_leaves_pending_notices_alone(tenant):
    invoice = invoice_issued()
    notice = dunning_notice(invoice, level=2)

    payment_record(invoice=invoice, amount=Decimal("1.00"), received_on=tenant_today())

    notice.refresh_from_db()
    assert notice.review_status == ReviewStatus.PENDING_REVIEW
    assert notice.cancelled_at is None
