"""Invoice numbers: per tenant, per year, assigned at issue, without gaps or duplicates,
also when many issuers work at once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from revo.accounts.models import User
from revo.audit.services import transition_apply
from revo.billing.dates import tenant_today
from revo.billing.models import Invoice, InvoiceSequence
from revo.billing.services import invoice_issue
from revo.reviews.services import review_decide
from tests.billing.factories import finance_user, invoice_approve, invoice_pending


def test_numbers_follow_each_other_from_one(tenant):
    year = tenant_today().year

    numbers = [invoice_approve(invoice_pending()).number for _ in range(3)]

    assert numbers == [f"INV-{year}-0001", f"INV-{year}-0002", f"INV-{year}-0003"]
    assert InvoiceSequence.objects.get(year=year).last_number == 3


def test_a_draft_gets_no_number(tenant):
    invoice = invoice_pending()

    assert invoice.number is None
    assert not InvoiceSequence.objects.exists()


def test_a_rolled_back_issue_leaves_no_gap(tenant):
    year = tenant_today().year
    invoice_approve(invoice_pending())
    doomed = invoice_pending()

    taken = []

    def issue_then_fail() -> None:
        with transaction.atomic():
            transition_apply(instance=doomed, transition="approve", field="review_status")
            taken.append(invoice_issue(invoice=doomed).number)
            raise RuntimeError("the issuing transaction failed after taking the number")

    with pytest.raises(RuntimeError):
        issue_then_fail()

    assert taken == [f"INV-{year}-0002"]

    doomed = Invoice.objects.get(pk=doomed.pk)
    assert doomed.number is None
    assert invoice_approve(doomed).number == f"INV-{year}-0002"


def test_each_year_has_its_own_sequence(tenant):
    first = invoice_pending()
    transition_apply(instance=first, transition="approve", field="review_status")
    second = invoice_pending()
    transition_apply(instance=second, transition="approve", field="review_status")

    a = invoice_issue(invoice=first, issue_date=date(2030, 12, 31))
    b = invoice_issue(invoice=second, issue_date=date(2031, 1, 1))

    assert (a.number, b.number) == ("INV-2030-0001", "INV-2031-0001")


def test_database_refuses_a_duplicate_number(tenant):
    issued = invoice_approve(invoice_pending())
    other = invoice_approve(invoice_pending())

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=other.pk).update(number=issued.number)


THREADS = 8
PER_THREAD = 5


@pytest.fixture
def committed_tenant(django_db_blocker):
    """A tenant of its own with committed data, for threads with their own connections;
    dropped afterwards (schema included)."""
    from revo.tenancy.services import tenant_provision

    with django_db_blocker.unblock():
        result = tenant_provision(
            slug="billing-concurrency",
            name="Concurrency Ltd",
            domain="billing-concurrency.localhost",
            admin_email="admin@concurrency.example",
            admin_password="correct-horse-battery-staple",
        )
        try:
            yield result.tenant
        finally:
            connection.set_schema_to_public()
            result.tenant.delete(force_drop=True)


def test_concurrent_issuing_gives_gapless_unique_numbers(committed_tenant, django_db_blocker):
    with django_db_blocker.unblock():
        connection.set_tenant(committed_tenant)
        reviewer = finance_user()
        pending = [invoice_pending().pk for _ in range(THREADS * PER_THREAD)]
        year = tenant_today().year
        connection.set_schema_to_public()

        errors: list[BaseException] = []
        barrier = threading.Barrier(THREADS)

        def issue_batch(ids: list[int]) -> None:
            try:
                connection.set_tenant(committed_tenant)
                user = User.objects.get(pk=reviewer.pk)
                barrier.wait(timeout=30)
                for pk in ids:
                    review_decide(entity_type="invoice", entity_id=pk, decision="approve", by=user)
            except BaseException as exc:  # reported to the main thread
                errors.append(exc)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=issue_batch, args=(pending[i::THREADS],))
            for i in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        connection.set_tenant(committed_tenant)
        numbers = sorted(Invoice.objects.filter(pk__in=pending).values_list("number", flat=True))
        sequence = InvoiceSequence.objects.get(year=year).last_number
        connection.set_schema_to_public()

    assert errors == []
    expected = [f"INV-{year}-{n:04d}" for n in range(1, THREADS * PER_THREAD + 1)]
    assert numbers == expected
    assert sequence == THREADS * PER_THREAD
