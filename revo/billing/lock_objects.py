"""Row locks of the billing tables, named so readers see where concurrency is handled.
Call them inside ``transaction.atomic()``."""

from __future__ import annotations

from django.db.models import QuerySet

from revo.billing.models import DunningNotice, Invoice, InvoiceSequence


def invoice_lock(pk: int) -> Invoice:
    """The invoice row, locked against concurrent payments, issuing and voiding."""
    return Invoice.objects.select_for_update(of=("self",)).get(pk=pk)


def invoice_sequence_lock(year: int) -> InvoiceSequence:
    """The year's numbering row, created on first use and locked until commit: issuers of
    the same tenant queue here, one number at a time."""
    InvoiceSequence.objects.bulk_create([InvoiceSequence(year=year)], ignore_conflicts=True)
    return InvoiceSequence.objects.select_for_update().get(year=year)


def dunning_notices_open_lock(invoice_id: int) -> QuerySet[DunningNotice]:
    """The invoice's notices that have not been sent, rejected or cancelled, locked."""
    from revo.reviews.models import ReviewStatus

    return (
        DunningNotice.objects.select_for_update()
        .filter(
            invoice_id=invoice_id,
            review_status__in=[
                ReviewStatus.PENDING_REVIEW,
                ReviewStatus.REGENERATE_REQUESTED,
                ReviewStatus.APPROVED,
            ],
        )
        .order_by("id")
    )
