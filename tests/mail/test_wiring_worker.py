"""Approval to inbox through a real Celery worker on the ``mail`` queue and real SMTP."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

from revo.accounts.roles import Role
from revo.billing.models import Invoice
from revo.leads.models import Lead, LeadStatus, OutreachMessage
from revo.mail.services import mail_settings_update
from revo.reviews.models import ReviewStatus
from revo.reviews.registry import artifact_type
from revo.reviews.services import review_decide
from tests.billing.factories import invoice_pending
from tests.factories import UserFactory
from tests.fakes.smtp import FakeSMTPServer
from tests.leads.factories import OutreachMessageFactory
from tests.workers import wait_until


@pytest.fixture
def smtp() -> FakeSMTPServer:
    server = FakeSMTPServer().start()
    yield server
    server.stop()


def _worker_env(smtp: FakeSMTPServer) -> dict[str, str]:
    return {"MAIL_SANDBOX": "false", "EMAIL_HOST": smtp.host, "EMAIL_PORT": str(smtp.port)}


def _with_subject(smtp: FakeSMTPServer, subject: str) -> list:
    return [m for m in list(smtp.messages) if m["Subject"] == subject]


def test_every_artifact_that_sends_email_is_wired_to_the_outbox(db):
    for entity_type in ("outreach", "contract", "invoice", "dunning"):
        assert artifact_type(entity_type).on_approved is not None, entity_type


@pytest.mark.slow
def test_an_approved_outreach_draft_is_sent_by_the_worker_and_the_lead_moves_on(
    committed_tenant, celery_worker, smtp
):
    # given a worker on the mail queue, real SMTP, and a draft waiting for review
    celery_worker(queues=["mail"], env=_worker_env(smtp))
    mail_settings_update(business_hours_only=False, from_email="sales@worker.example")
    draft = OutreachMessageFactory(subject="Worth a call?", body="Hi, a short call next week?")

    # when a person approves it (the decision commits at once)
    review_decide(
        entity_type="outreach",
        entity_id=draft.pk,
        decision="approve",
        by=UserFactory(role=Role.SDR),
    )

    # then the worker sends one email and the draft and lead move on
    wait_until(
        lambda: OutreachMessage.objects.get(pk=draft.pk).review_status == ReviewStatus.APPLIED,
        timeout=30,
    )
    [received] = smtp.wait_for(1)
    assert received["Subject"] == "Worth a call?"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/u/" in received["List-Unsubscribe"]
    lead = Lead.objects.get(pk=draft.lead_id)
    assert lead.status == LeadStatus.CONTACTED
    assert lead.next_follow_up_at is not None


@pytest.mark.slow
def test_an_approved_invoice_reaches_the_customer_with_its_pdf_through_the_worker(
    committed_tenant, celery_worker, smtp
):
    celery_worker(queues=["mail"], env=_worker_env(smtp))
    mail_settings_update(business_hours_only=False, from_email="billing@worker.example")
    invoice = invoice_pending()

    review_decide(
        entity_type="invoice",
        entity_id=invoice.pk,
        decision="approve",
        by=UserFactory(role=Role.FINANCE),
    )

    # then (besides the contract email its signed contract was sent with) the customer gets
    # one email with the invoice's PDF
    invoice = Invoice.objects.get(pk=invoice.pk)
    wait_until(lambda: _with_subject(smtp, f"Invoice {invoice.number}"), timeout=30)
    [received] = _with_subject(smtp, f"Invoice {invoice.number}")
    [pdf] = list(received.iter_attachments())
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf.get_content())).pages)
    assert invoice.number in text
    assert f"{invoice.total:,.2f}" in text
