"""Payments received against issued invoices."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.audit.services import allowed_transitions, transition_apply
from revo.billing.calculations import money
from revo.billing.dates import tenant_today
from revo.billing.lock_objects import invoice_lock
from revo.billing.models import OPEN_STATUSES, ZERO, Invoice, Payment, PaymentMethod
from revo.billing.services.dunning import dunning_notices_cancel_open
from revo.core.exceptions import IllegalTransition, InvalidInput

logger = logging.getLogger(__name__)


def _amount_validate(amount: Decimal | str) -> Decimal:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"amount {amount!r} is not a number") from None
    if not value.is_finite() or value <= ZERO:
        raise InvalidInput("a payment amount must be greater than zero")
    if money(value) != value:
        raise InvalidInput(f"amount {value} has more than two decimal places")
    return value


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal | str,
    received_on: date,
    reference: str = "",
    method: str = PaymentMethod.BANK_TRANSFER,
    currency: str | None = None,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
) -> Payment:
    """Record money received. The invoice row is locked, so concurrent payments add up and
    never overpay; a payment larger than the open balance is refused. Clearing the balance
    marks the invoice paid and cancels its pending reminders, in this transaction."""
    value = _amount_validate(amount)
    if method not in PaymentMethod.values:
        raise InvalidInput(
            f"unknown payment method {method!r}", details={"allowed": PaymentMethod.values}
        )
    if received_on > tenant_today():
        raise InvalidInput(f"a payment cannot be received in the future ({received_on})")
    locked = invoice_lock(invoice.pk)
    if locked.status not in OPEN_STATUSES:
        raise IllegalTransition(
            f"invoice {locked} is {locked.status}; payments need an issued invoice",
            allowed=allowed_transitions(locked),
            current=locked.status,
        )
    currency = (currency or locked.currency).upper()
    if currency != locked.currency:
        raise InvalidInput(
            f"payment currency {currency} differs from the invoice currency {locked.currency}"
        )
    if value > locked.balance:
        raise InvalidInput(
            f"overpayment refused: {value} {currency} exceeds the open balance "
            f"{locked.balance} {currency}",
            details={"balance": str(locked.balance)},
        )
    payment = Payment.objects.create(
        invoice=locked,
        amount=value,
        currency=currency,
        received_on=received_on,
        reference=(reference or "").strip()[:200],
        method=method,
        recorded_by=by,
    )
    locked.amount_paid += value
    locked.balance = locked.total - locked.amount_paid
    cleared = locked.balance == ZERO
    if cleared:
        locked.paid_at = timezone.now()
    transition_apply(
        instance=locked,
        transition="pay_in_full" if cleared else "pay_partially",
        by=by,
        run_id=run_id,
        reason=f"payment {payment.reference or payment.pk}",
        data={"payment": payment.pk, "amount": str(value), "balance": str(locked.balance)},
        update_fields=["amount_paid", "balance", "paid_at"],
    )
    if cleared:
        dunning_notices_cancel_open(invoice=locked, reason="paid", by=by, run_id=run_id)
    logger.info(
        "payment recorded",
        extra={"event": "payment.recorded", "invoice": locked.pk, "payment": payment.pk},
    )
    return payment
