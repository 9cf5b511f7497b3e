from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revo.accounts.roles import Role
from revo.billing.dates import tenant_today
from revo.billing.models import Invoice, InvoiceStatus, Payment
from tests.billing.factories import dunning_notice, invoice_issued, invoice_pending
from tests.factories import UserFactory

ROLES = [Role.ADMIN, Role.FINANCE, Role.SALES, Role.SDR, Role.VIEWER]
PAGES = [
    "/admin/billing/invoice/",
    "/admin/billing/payment/",
    "/admin/billing/dunningnotice/",
    "/admin/billing/dunningpolicy/",
    "/admin/billing/billingsettings/",
]


def _as(client, role: str):  # noqa: ANN001, ANN202
    client.force_login(UserFactory(role=role))
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.split("/")[3])
def test_billing_changelists_render_for_every_role(tenant_client, role, page):
    invoice = invoice_issued()
    payment_from = invoice.balance - Decimal("1.00")
    from revo.billing.services import payment_record

    payment_record(invoice=invoice, amount=payment_from, received_on=tenant_today())
    dunning_notice(invoice, level=2)

    response = _as(tenant_client, role).get(page)

    assert response.status_code == 200


def test_invoice_changelist_shows_number_customer_status_and_overdue(tenant_client):
    issued = invoice_issued(company="Initech GmbH")
    invoice_pending(company="Globex")

    response = _as(tenant_client, Role.FINANCE).get("/admin/billing/invoice/")

    body = response.content.decode()
    assert issued.number in body
    assert "Initech GmbH" in body
    assert "Globex" in body
    assert "(draft #" in body
    assert "Download PDF" in body


def test_invoice_changelist_filters_overdue_and_searches(tenant_client):
    from revo.billing.models import Invoice as InvoiceModel

    late = invoice_issued(company="Late Payer Ltd")
    InvoiceModel.objects.filter(pk=late.pk).update(due_date=tenant_today().replace(year=2020))
    invoice_issued(company="Punctual Ltd")
    client = _as(tenant_client, Role.FINANCE)

    overdue = client.get("/admin/billing/invoice/?overdue=yes").content.decode()
    searched = client.get("/admin/billing/invoice/?q=Punctual").content.decode()

    assert "Late Payer Ltd" in overdue
    assert "Punctual Ltd" not in overdue
    assert "Punctual Ltd" in searched
    assert "Late Payer Ltd" not in searched


@pytest.mark.parametrize(
    "page", ["/admin/billing/invoice/", "/admin/billing/payment/", "/admin/billing/dunningnotice/"]
)
def test_changelists_have_no_n_plus_one(tenant_client, page):
    client = _as(tenant_client, Role.FINANCE)

    def seed(n: int) -> None:
        from revo.billing.services import payment_record

        for _ in range(n):
            invoice = invoice_issued()
            payment_record(invoice=invoice, amount=Decimal("5.00"), received_on=tenant_today())
            dunning_notice(invoice, level=2)

    seed(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(page).status_code == 200
    seed(4)
    with CaptureQueriesContext(connection) as many:
        assert client.get(page).status_code == 200

    assert len(many) == len(few)


def test_invoice_change_page_shows_lines_payments_and_pdf_link(tenant_client):
    invoice = invoice_issued()

    response = _as(tenant_client, Role.VIEWER).get(f"/admin/billing/invoice/{invoice.pk}/change/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Platform licence, annual" in body
    assert f"/admin/billing/invoice/{invoice.pk}/pdf/" in body


@pytest.mark.parametrize("role", ROLES)
def test_every_role_that_reads_billing_downloads_the_pdf(tenant_client, role):
    invoice = invoice_issued()

    response = _as(tenant_client, role).get(f"/admin/billing/invoice/{invoice.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_pdf_download_needs_a_login(tenant_client):
    invoice = invoice_issued()

    response = tenant_client.get(f"/admin/billing/invoice/{invoice.pk}/pdf/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_pdf_download_needs_the_view_permission(tenant_client):
    invoice = invoice_issued()
    user = UserFactory(role=Role.VIEWER)
    user.groups.clear()
    tenant_client.force_login(user)

    response = tenant_client.get(f"/admin/billing/invoice/{invoice.pk}/pdf/")

    assert response.status_code == 403


def test_a_draft_has_no_pdf_to_download(tenant_client):
    invoice = invoice_pending()

    response = _as(tenant_client, Role.FINANCE).get(f"/admin/billing/invoice/{invoice.pk}/pdf/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("role", "voided"),
    [(Role.ADMIN, True), (Role.FINANCE, True), (Role.SALES, False), (Role.VIEWER, False)],
)
def test_void_action_is_for_roles_that_change_invoices(tenant_client, role, voided):
    invoice = invoice_issued()

    _as(tenant_client, role).post(
        "/admin/billing/invoice/",
        {"action": "void_invoices", "_selected_action": [str(invoice.pk)]},
    )

    invoice.refresh_from_db()
    assert (invoice.status == InvoiceStatus.VOID) is voided


def test_action_reports_refusals_per_invoice(tenant_client):
    invoice = invoice_issued()
    from revo.billing.services import payment_record

    payment_record(invoice=invoice, amount=Decimal("1.00"), received_on=tenant_today())

    response = _as(tenant_client, Role.FINANCE).post(
        "/admin/billing/invoice/",
        {"action": "void_invoices", "_selected_action": [str(invoice.pk)]},
        follow=True,
    )

    assert "cannot void" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID


def test_submit_action_puts_drafts_into_review(tenant_client):
    from tests.billing.factories import invoice_draft

    draft = invoice_draft()

    _as(tenant_client, Role.FINANCE).post(
        "/admin/billing/invoice/",
        {"action": "submit_for_review", "_selected_action": [str(draft.pk)]},
    )

    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.PENDING_REVIEW


def test_finance_records_a_payment_in_the_admin(tenant_client):
    invoice = invoice_issued()
    client = _as(tenant_client, Role.FINANCE)

    response = client.post(
        "/admin/billing/payment/add/",
        {
            "invoice": invoice.pk,
            "amount": "650.00",
            "received_on": tenant_today().isoformat(),
            "method": "bank_transfer",
            "reference": "BANK-77",
        },
    )

    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.reference, payment.currency) == (
        Decimal("650.00"),
        "BANK-77",
        "EUR",
    )
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PARTIALLY_PAID


def test_an_overpayment_in_the_admin_is_refused_with_a_message(tenant_client):
    invoice = invoice_issued()
    client = _as(tenant_client, Role.FINANCE)

    response = client.post(
        "/admin/billing/payment/add/",
        {
            "invoice": invoice.pk,
            "amount": "99999.00",
            "received_on": tenant_today().isoformat(),
            "method": "bank_transfer",
        },
        follow=True,
    )

    assert "overpayment refused" in response.content.decode().lower()
    assert not Payment.objects.exists()


def test_viewer_cannot_record_payments(tenant_client):
    invoice = invoice_issued()

    response = _as(tenant_client, Role.VIEWER).post(
        "/admin/billing/payment/add/",
        {
            "invoice": invoice.pk,
            "amount": "1.00",
            "received_on": tenant_today().isoformat(),
            "method": "bank_transfer",
        },
    )

    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_dunning_policy_page_shows_its_levels(tenant_client):
    from revo.billing.models import DunningPolicy

    policy = DunningPolicy.objects.get()

    response = _as(tenant_client, Role.ADMIN).get(
        f"/admin/billing/dunningpolicy/{policy.pk}/change/"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Final notice" in body
    assert "Friendly reminder" in body
