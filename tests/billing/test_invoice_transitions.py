"""Every transition of the invoice state machine from every state, through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revo.audit.selectors import history_for
from revo.audit.services import transition_apply
from revo.billing.dates import tenant_today
from revo.billing.models import Invoice, InvoiceStatus
from revo.billing.services import (
    invoice_issue,
    invoice_return_to_draft,
    invoice_submit_for_review,
    invoice_void,
    invoice_write_off,
    payment_record,
)
from revo.core.exceptions import IllegalTransition
from revo.reviews.models import ReviewStatus
from revo.reviews.services import review_decide
from tests.billing.factories import finance_user, invoice_in_state

S = InvoiceStatus
TARGET = {
    "submit_for_review": S.PENDING_REVIEW,
    "return_to_draft": S.DRAFT,
    "issue": S.ISSUED,
    "pay_partially": S.PARTIALLY_PAID,
    "pay_in_full": S.PAID,
    "void": S.VOID,
    "write_off": S.WRITTEN_OFF,
}
ALLOWED = {
    S.DRAFT: {"submit_for_review", "void"},
    S.PENDING_REVIEW: {"return_to_draft", "issue", "void"},
    S.ISSUED: {"pay_partially", "pay_in_full", "void", "write_off"},
    S.PARTIALLY_PAID: {"pay_partially", "pay_in_full", "write_off"},
    S.PAID: set(),
    S.VOID: set(),
    S.WRITTEN_OFF: set(),
}
CASES = [
    pytest.param(state, name, name in ALLOWED[state], id=f"{state}-{name}")
    for state in S.values
    for name in TARGET
]


def _prepare(invoice: Invoice, name: str) -> None:
    """Meet the transition's conditions where the state allows it (the review decision)."""
    if invoice.status != S.PENDING_REVIEW:
        return
    if name == "return_to_draft":
        review_decide(
            entity_type="invoice",
            entity_id=invoice.pk,
            decision="reject",
            by=finance_user(),
            reason="wrong PO",
        )
    elif name == "issue":
        transition_apply(instance=invoice, transition="approve", field="review_status")


def _call(invoice: Invoice, name: str) -> None:
    today = tenant_today()
    calls = {
        "submit_for_review": lambda: invoice_submit_for_review(invoice=invoice),
        "return_to_draft": lambda: invoice_return_to_draft(invoice=invoice),
        "issue": lambda: invoice_issue(invoice=invoice),
        "pay_partially": lambda: payment_record(
            invoice=invoice, amount=Decimal("1.00"), received_on=today
        ),
        "pay_in_full": lambda: payment_record(
            invoice=invoice, amount=invoice.balance or invoice.total, received_on=today
        ),
        "void": lambda: invoice_void(invoice=invoice, reason="matrix"),
        "write_off": lambda: invoice_write_off(invoice=invoice, reason="matrix"),
    }
    calls[name]()


@pytest.mark.parametrize(("state", "name", "allowed"), CASES)
def test_invoice_transition_matrix(tenant, state, name, allowed):
    invoice = invoice_in_state(state)
    _prepare(invoice, name)
    history_before = history_for(invoice).filter(field="status").count()

    if allowed:
        _call(invoice, name)
        invoice.refresh_from_db()
        assert invoice.status == TARGET[name]
        last = history_for(invoice).filter(field="status").last()
        assert (last.transition, last.from_state, last.to_state) == (name, state, TARGET[name])
    else:
        with pytest.raises(IllegalTransition) as excinfo:
            _call(invoice, name)
        invoice.refresh_from_db()
        assert invoice.status == state
        assert history_for(invoice).filter(field="status").count() == history_before
        assert excinfo.value.current == state


def test_issue_needs_an_approved_review(tenant):
    invoice = invoice_in_state(S.PENDING_REVIEW)

    with pytest.raises(IllegalTransition):
        invoice_issue(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.number is None
    assert invoice.review_status == ReviewStatus.PENDING_REVIEW
