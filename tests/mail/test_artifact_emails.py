"""Approved artifacts reach the outbox exactly once and report back when sent: outreach
(with one-click unsubscribe), invoices with their PDF, dunning notices, contracts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage as ParsedEmail
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from revo.accounts.roles import Role
from revo.billing.dates import tenant_today
from revo.billing.models import DunningNotice, Invoice
from revo.billing.services import payment_record
from revo.contracts.models import Contract, ContractStatus
from revo.contracts.services import contract_review_decide, contract_submit
from revo.leads.mailing import FOLLOW_UP_AFTER_DAYS, outreach_on_approved
from revo.leads.models import Lead, LeadStatus, OutreachMessage
from revo.mail.models import EmailKind, EmailMessage, EmailStatus, Suppression
from revo.mail.services import mail_event_record, suppression_add
from revo.reviews.models import ReviewDecision, ReviewStatus
from revo.reviews.services import review_decide
from tests.billing.factories import dunning_notice, invoice_issued, invoice_pending
from tests.contracts.factories import ContractFactory
from tests.factories import UserFactory
from tests.leads.factories import OutreachMessageFactory
from tests.mail.conftest import deliver, reload


@pytest.fixture
def open_hours(mail_config):  # noqa: ANN201
    from revo.mail.services import mail_settings_update

    return mail_settings_update(business_hours_only=False)


def _approve(entity_type: str, artifact: object, role: str = Role.ADMIN) -> None:
    review_decide(
        entity_type=entity_type,
        entity_id=artifact.pk,
        decision="approve",
        by=UserFactory(role=role),
    )


def _messages_for(artifact: object) -> list[EmailMessage]:
    return [
        m
        for m in EmailMessage.objects.order_by("pk")
        if m.artifact_id == artifact.pk
        and m.artifact_content_type.model == type(artifact)._meta.model_name
    ]


def _pdf_text(part: ParsedEmail) -> str:
    reader = PdfReader(BytesIO(part.get_content()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _attachments(received: ParsedEmail) -> list[ParsedEmail]:
    return list(received.iter_attachments())


# -- outreach -----------------------------------------------------------------------------


def test_approving_an_outreach_draft_sends_one_email_with_one_click_unsubscribe(
    tenant, tenant_client, smtp_server, open_hours
):
    # given an outreach draft waiting for review
    draft = OutreachMessageFactory(subject="A faster close", body="Hi Ada, worth a call?")
    lead = draft.lead

    # when a person approves it and the outbox delivers
    _approve("outreach", draft, Role.SDR)
    [message] = _messages_for(draft)
    deliver(message)

    # then exactly one email reached the lead, with the RFC 8058 headers and the footer
    assert message.kind == EmailKind.OUTREACH
    assert reload(message).status == EmailStatus.SENT
    [received] = smtp_server.messages
    assert received["To"].addresses[0].addr_spec == lead.email
    assert received["Subject"] == "A faster close"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = received.get_body(("plain",)).get_content()
    assert "Hi Ada, worth a call?" in body
    assert "1 Test Street, Berlin" in body
    # and the draft is applied, the lead contacted and due a follow-up
    assert OutreachMessage.objects.get(pk=draft.pk).review_status == ReviewStatus.APPLIED
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.CONTACTED
    sent_at = reload(message).sent_at
    assert lead.last_contacted_at == sent_at
    assert lead.next_follow_up_at == sent_at + timedelta(days=FOLLOW_UP_AFTER_DAYS)

    # when the recipient's mail client posts the one-click link from the header
    link = received["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert link.startswith("https://test.localhost")
    response = tenant_client.post(urlsplit(link).path, {"List-Unsubscribe": "One-Click"})

    # then the address is suppressed and the lead unsubscribed
    assert response.status_code == 200
    assert Suppression.objects.get(email=lead.email).reason == "unsubscribed"
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.UNSUBSCRIBED


def test_repeated_approvals_hooks_and_deliveries_give_one_email(tenant, smtp_server, open_hours):
    # given an approved outreach draft
    draft = OutreachMessageFactory()
    _approve("outreach", draft, Role.SDR)

    # when a second approval is attempted, the hook runs again and the task runs twice
    with pytest.raises(Exception, match="(?i)approv|transition|pending"):
        _approve("outreach", draft, Role.SDR)
    decision = ReviewDecision.objects.order_by("pk").last()
    outreach_on_approved(OutreachMessage.objects.get(pk=draft.pk), decision)
    [message] = _messages_for(draft)
    first = deliver(message)
    second = deliver(message)

    # then there is one outbox row and one email on the wire
    assert (first, second) == ("sent", "skipped")
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    "when", [pytest.param("before_approval", id="before"), pytest.param("after", id="after")]
)
def test_a_suppressed_lead_is_never_emailed_and_the_draft_keeps_the_reason(
    tenant, smtp_server, open_hours, when
):
    # given a draft for a lead whose address gets suppressed
    draft = OutreachMessageFactory()
    if when == "before_approval":
        suppression_add(email=draft.to_email, reason="manual", source="test")
    _approve("outreach", draft, Role.SDR)
    if when == "after":
        suppression_add(email=draft.to_email, reason="manual", source="test")

    # when the outbox gets to it
    for message in _messages_for(draft):
        deliver(message)

    # then nothing is sent; the draft stays approved with the reason; the lead is unsubscribed
    assert smtp_server.messages == []
    assert all(m.status == EmailStatus.SUPPRESSED for m in map(reload, _messages_for(draft)))
    draft = OutreachMessage.objects.get(pk=draft.pk)
    assert draft.review_status == ReviewStatus.APPROVED
    assert any(r.startswith("not sent:") for r in draft.flagged_reasons)
    assert Lead.objects.get(pk=draft.lead_id).status == LeadStatus.UNSUBSCRIBED


def test_a_deleted_lead_gets_no_email(tenant, open_hours):
    from revo.leads.services import lead_soft_delete

    draft = OutreachMessageFactory()
    lead_soft_delete(lead=draft.lead, reason="asked to be forgotten")

    _approve("outreach", draft, Role.SDR)

    assert _messages_for(draft) == []
    assert (
        "not sent: the lead was deleted" in OutreachMessage.objects.get(pk=draft.pk).flagged_reasons
    )


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        pytest.param("bounce", LeadStatus.BOUNCED, id="bounce"),
        pytest.param("complaint", LeadStatus.UNSUBSCRIBED, id="complaint"),
    ],
)
def test_a_bounce_or_complaint_marks_the_lead(tenant, smtp_server, open_hours, kind, status):
    # given an outreach email that went out
    draft = OutreachMessageFactory()
    _approve("outreach", draft, Role.SDR)
    [message] = _messages_for(draft)
    deliver(message)

    # when the provider reports a bounce or complaint
    mail_event_record(
        email=draft.to_email, kind=kind, provider_message_id=reload(message).message_id
    )

    # then the lead is marked and the address suppressed
    assert Lead.objects.get(pk=draft.lead_id).status == status
    assert Suppression.objects.filter(email=draft.to_email).exists()


# -- invoices and dunning ---------------------------------------------------------------


def test_approving_an_invoice_emails_it_with_its_pdf(tenant, smtp_server, open_hours):
    # given an invoice waiting for review
    invoice = invoice_pending(company="Initech GmbH")

    # when finance approves it (issuing it) and the outbox delivers
    _approve("invoice", invoice, Role.FINANCE)
    invoice = Invoice.objects.get(pk=invoice.pk)
    [message] = _messages_for(invoice)
    assert deliver(message) == "sent"

    # then the customer got one email naming the invoice, with its PDF attached
    [received] = smtp_server.messages
    assert received["To"].addresses[0].addr_spec == invoice.customer_email
    assert invoice.number in received["Subject"]
    [pdf] = _attachments(received)
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"{invoice.number}.pdf"
    text = _pdf_text(pdf)
    assert invoice.number in text
    assert f"{invoice.total:,.2f} EUR" in text


def test_approving_a_dunning_notice_emails_it_with_the_invoice_pdf(tenant, smtp_server, open_hours):
    # given an issued invoice and a reminder waiting for review
    invoice = invoice_issued()
    smtp_server.messages.clear()
    notice = dunning_notice(invoice, level=2, subject="Second reminder")
    assert notice.review_status == ReviewStatus.PENDING_REVIEW

    # when finance approves the reminder and the outbox delivers it
    _approve("dunning", notice, Role.FINANCE)
    [message] = _messages_for(notice)
    assert deliver(message) == "sent"

    # then the email names the invoice and carries its PDF; the notice is applied (sent)
    [received] = smtp_server.messages
    assert invoice.number in received["Subject"]
    assert invoice.number in received.get_body(("plain",)).get_content()
    [pdf] = _attachments(received)
    assert invoice.number in _pdf_text(pdf)
    assert DunningNotice.objects.get(pk=notice.pk).review_status == ReviewStatus.APPLIED


def test_a_payment_clearing_the_balance_cancels_the_queued_dunning_email(
    tenant, smtp_server, open_hours
):
    # given an approved reminder whose email waits in the outbox
    invoice = invoice_issued()
    notice = dunning_notice(invoice, level=2)
    _approve("dunning", notice, Role.FINANCE)
    [message] = _messages_for(notice)

    # when the customer pays the whole balance
    invoice = Invoice.objects.get(pk=invoice.pk)
    payment_record(invoice=invoice, amount=invoice.balance, received_on=tenant_today())

    # then the queued email is cancelled and never sent
    assert reload(message).status == EmailStatus.CANCELLED
    assert deliver(message) == "skipped"
    assert [m["Subject"] for m in smtp_server.messages if "eminder" in m["Subject"]] == []


def test_a_partial_payment_leaves_the_dunning_email_queued(tenant, open_hours):
    invoice = invoice_issued()
    notice = dunning_notice(invoice, level=2)
    _approve("dunning", notice, Role.FINANCE)

    payment_record(invoice=invoice, amount=Decimal("100.00"), received_on=tenant_today())

    [message] = _messages_for(notice)
    assert message.status == EmailStatus.QUEUED


# -- contracts ----------------------------------------------------------------------------


def test_approving_a_contract_emails_a_summary_and_marks_it_sent(tenant, smtp_server, open_hours):
    # given a contract waiting for review
    contract = contract_submit(contract=ContractFactory())

    # when an admin approves it and the outbox delivers
    contract_review_decide(contract=contract, decision="approve", by=UserFactory(role=Role.ADMIN))
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.status == ContractStatus.APPROVED
    [message] = _messages_for(contract)
    assert deliver(message) == "sent"

    # then the customer got the lines, totals and validity; the contract is sent
    [received] = smtp_server.messages
    assert received["To"].addresses[0].addr_spec == contract.deal.lead.email
    body = received.get_body(("plain",)).get_content()
    for line in contract.lines.all():
        assert line.description in body
    assert f"Total: {contract.total} {contract.currency}" in body
    if contract.valid_until:
        assert f"Valid until: {contract.valid_until}" in body
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.status == ContractStatus.SENT
    assert contract.review_status == ReviewStatus.APPLIED
