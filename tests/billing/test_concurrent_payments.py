"""Payments arriving at the same moment on separate connections add up under the invoice
row lock: none is lost, and the one too many is refused."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from django.db import connection

from revo.billing.dates import tenant_today
from revo.billing.models import Invoice, InvoiceStatus
from revo.billing.services import payment_record
from revo.core.exceptions import DomainError
from tests.billing.conftest import in_own_connection
from tests.billing.factories import invoice_issued

PAYERS = 5


def test_concurrent_payments_never_overpay(committed_tenant):
    def seed() -> tuple[Invoice, date]:
        connection.set_tenant(committed_tenant)
        return invoice_issued(), tenant_today()

    invoice, today = in_own_connection(seed)
    quarter = invoice.total / 4
    refused: list[DomainError] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(PAYERS)

    def pay() -> None:
        try:
            connection.set_tenant(committed_tenant)
            barrier.wait(timeout=30)
            payment_record(invoice=invoice, amount=quarter, received_on=today)
        except DomainError as exc:  # overpayment, or the invoice is paid already
            refused.append(exc)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(PAYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    def read() -> tuple[Invoice, int]:
        connection.set_tenant(committed_tenant)
        final = Invoice.objects.get(pk=invoice.pk)
        return final, final.payments.count()

    final, paid_rows = in_own_connection(read)
    assert errors == []
    assert len(refused) == PAYERS - 4
    assert paid_rows == 4
    assert final.status == InvoiceStatus.PAID
    assert (final.amount_paid, final.balance) == (final.total, Decimal("0.00"))
