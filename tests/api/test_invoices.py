"""Invoices through the API: list with the overdue filter, detail, payments, PDF."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from revo.accounts.roles import Role
from revo.audit.models import StateTransition
from revo.billing.dates import tenant_today
from revo.billing.models import Invoice, InvoiceStatus, Payment
from tests.billing.factories import invoice_draft, invoice_issued

INVOICES_URL = "/api/v1/invoices"


@pytest.fixture
def finance(user_by_role):  # noqa: ANN201
    return user_by_role(Role.FINANCE)


def _make_overdue(invoice: Invoice) -> Invoice:
    Invoice.objects.filter(pk=invoice.pk).update(due_date=tenant_today() - timedelta(days=3))
    return Invoice.objects.get(pk=invoice.pk)


def test_overdue_filter_lists_only_open_invoices_past_due(
    api_client, finance, auth_header, django_assert_max_num_queries
):
    late = _make_overdue(invoice_issued())
    on_time = invoice_issued()
    draft = invoice_draft()
    headers = auth_header(finance)

    with django_assert_max_num_queries(8):
        overdue = api_client.get(INVOICES_URL, {"overdue": "true"}, **headers)
    with django_assert_max_num_queries(8):
        not_overdue = api_client.get(INVOICES_URL, {"overdue": "false"}, **headers)

    assert [i["id"] for i in overdue.json()["results"]] == [late.pk]
    assert overdue.json()["results"][0]["is_overdue"] is True
    assert {i["id"] for i in not_overdue.json()["results"]} == {on_time.pk, draft.pk}


def test_detail_has_lines_payments_and_totals(api_client, finance, auth_header):
    invoice = invoice_issued()

    response = api_client.get(f"{INVOICES_URL}/{invoice.pk}", **auth_header(finance))

    body = response.json()
    assert response.status_code == 200
    assert body["number"] == invoice.number
    assert body["total"] == str(invoice.total)
    assert len(body["lines"]) == 2
    assert body["payments"] == []
    assert body["has_pdf"] is True


def test_record_a_payment_returns_it_with_the_audit_row(api_client, finance, auth_header):
    invoice = invoice_issued()

    response = api_client.post(
        f"{INVOICES_URL}/{invoice.pk}/payments",
        {"amount": "100.00", "received_on": str(tenant_today()), "reference": "TX-1"},
        **auth_header(finance),
    )

    body = response.json()
    assert response.status_code == 201, body
    assert Payment.objects.get(pk=body["id"]).amount == Decimal("100.00")
    assert StateTransition.objects.get(pk=body["audit_id"]).transition == "pay_partially"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    listed = api_client.get(f"{INVOICES_URL}/{invoice.pk}/payments", **auth_header(finance))
    assert [p["id"] for p in listed.json()["results"]] == [body["id"]]


def test_an_overpayment_is_422_and_records_nothing(api_client, finance, auth_header):
    invoice = invoice_issued()

    response = api_client.post(
        f"{INVOICES_URL}/{invoice.pk}/payments",
        {"amount": str(invoice.balance + Decimal("0.01")), "received_on": str(tenant_today())},
        **auth_header(finance),
    )

    assert response.status_code == 422
    assert "overpayment" in response.json()["error"]["message"]
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_a_payment_on_a_draft_is_an_illegal_transition(api_client, finance, auth_header):
    invoice = invoice_draft()

    response = api_client.post(
        f"{INVOICES_URL}/{invoice.pk}/payments",
        {"amount": "1.00", "received_on": str(tenant_today())},
        **auth_header(finance),
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"


@pytest.mark.parametrize(
    "field", ["balance", "amount_paid", "invoice", "recorded_by"], ids=lambda f: f
)
def test_a_payment_body_cannot_set_totals_or_links(api_client, finance, auth_header, field):
    invoice = invoice_issued()

    response = api_client.post(
        f"{INVOICES_URL}/{invoice.pk}/payments",
        {"amount": "1.00", "received_on": str(tenant_today()), field: "0"},
        **auth_header(finance),
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_sales_cannot_record_payments(api_client, user_by_role, auth_header):
    invoice = invoice_issued()

    response = api_client.post(
        f"{INVOICES_URL}/{invoice.pk}/payments",
        {"amount": "1.00", "received_on": str(tenant_today())},
        **auth_header(user_by_role(Role.SALES)),
    )

    assert response.status_code == 403


@pytest.mark.parametrize("accept", ["application/pdf", "*/*"], ids=["pdf", "any"])
def test_pdf_download_serves_the_stored_document(api_client, finance, auth_header, accept):
    invoice = invoice_issued()

    response = api_client.get(
        f"{INVOICES_URL}/{invoice.pk}/pdf", HTTP_ACCEPT=accept, **auth_header(finance)
    )

    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert content.startswith(b"%PDF")
    with invoice.pdf.open("rb") as stored:
        assert content == stored.read()
    assert invoice.number in response["Content-Disposition"]


def test_pdf_of_a_draft_is_409_in_json(api_client, finance, auth_header):
    invoice = invoice_draft()

    response = api_client.get(
        f"{INVOICES_URL}/{invoice.pk}/pdf", HTTP_ACCEPT="application/pdf", **auth_header(finance)
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
