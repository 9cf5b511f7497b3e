"""Billing test data. Signed contracts come from the lead, deal and contract factories
(through their services); invoices, payments and notices through the billing services, so
every object is in a state the application can reach."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.billing.dates import tenant_today
from revo.billing.models import DunningLevel, DunningNotice, Invoice, InvoiceStatus
from revo.billing.services import (
    dunning_notice_create,
    invoice_create_from_contract,
    invoice_submit_for_review,
    invoice_void,
    invoice_write_off,
    payment_record,
)
from revo.contracts.models import Contract, ContractStatus
from revo.contracts.services import LineInput
from revo.reviews.services import review_decide
from tests.contracts.helpers import contract_in
from tests.deals.factories import DealFactory, qualified_lead
from tests.factories import UserFactory

_seq = itertools.count(1)

LineSpec = tuple[str, str, str, str]  # description, quantity, unit price, discount %

DEFAULT_LINES: tuple[LineSpec, ...] = (
    ("Platform licence, annual", "1", "12000.00", "10"),
    ("Onboarding workshop", "3", "950.00", "0"),
)


def finance_user() -> User:
    return UserFactory(role=Role.FINANCE)


def signed_contract(
    *,
    lines: Sequence[LineSpec] = DEFAULT_LINES,
    net_days: int = 30,
    company: str = "Initech GmbH",
) -> Contract:
    n = next(_seq)
    lead = qualified_lead(
        email=f"buyer{n}@initech.example", first_name="Ada", last_name=f"Buyer{n}", company=company
    )
    return contract_in(
        ContractStatus.SIGNED,
        reviewer=UserFactory(role=Role.SALES),
        deal=DealFactory(lead=lead),
        lines=[
            LineInput(description=d, quantity=q, unit_price=p, discount_pct=disc)
            for d, q, p, disc in lines
        ],
        payment_terms_net_days=net_days,
    )


def invoice_draft(**contract_kwargs: object) -> Invoice:
    return invoice_create_from_contract(contract=signed_contract(**contract_kwargs))


def invoice_pending(**contract_kwargs: object) -> Invoice:
    return invoice_submit_for_review(invoice=invoice_draft(**contract_kwargs))


def invoice_approve(invoice: Invoice, by: User | None = None) -> Invoice:
    review_decide(
        entity_type="invoice", entity_id=invoice.pk, decision="approve", by=by or finance_user()
    )
    return Invoice.objects.get(pk=invoice.pk)


def invoice_issued(**contract_kwargs: object) -> Invoice:
    return invoice_approve(invoice_pending(**contract_kwargs))


def invoice_in_state(state: str) -> Invoice:
    """An invoice brought into ``state`` through the services (total 13,650.00 EUR)."""
    if state == InvoiceStatus.DRAFT:
        return invoice_draft()
    if state == InvoiceStatus.PENDING_REVIEW:
        return invoice_pending()
    invoice = invoice_issued()
    if state == InvoiceStatus.ISSUED:
        return invoice
    if state == InvoiceStatus.PARTIALLY_PAID:
        payment_record(invoice=invoice, amount=Decimal("100.00"), received_on=tenant_today())
    elif state == InvoiceStatus.PAID:
        payment_record(invoice=invoice, amount=invoice.balance, received_on=tenant_today())
    elif state == InvoiceStatus.VOID:
        invoice_void(invoice=invoice, reason="test")
    elif state == InvoiceStatus.WRITTEN_OFF:
        invoice_write_off(invoice=invoice, reason="test")
    else:
        raise ValueError(state)
    return Invoice.objects.get(pk=invoice.pk)


def dunning_level(level: int) -> DunningLevel:
    return DunningLevel.objects.get(policy__singleton=True, level=level)


def dunning_notice(invoice: Invoice, level: int = 2, **kwargs: object) -> DunningNotice:
    return dunning_notice_create(
        invoice=invoice,
        level=dunning_level(level),
        subject=kwargs.pop("subject", f"Reminder: invoice {invoice.number}"),
        body=kwargs.pop("body", "Please pay the open balance."),
        **kwargs,
    )
