from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from revo.mail.models import EmailKind, EmailMessage, EmailStatus, EmailStatusChange
from revo.mail.services import (
    AttachmentInput,
    DeliverOutcome,
    email_cancel,
    email_enqueue,
    suppression_add,
)
from tests.factories import UserFactory
from tests.mail.conftest import deliver, reload

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _outreach(**overrides) -> EmailMessage:  # noqa: ANN003
    fields = {
        "to_email": "Buyer@Example.com",
        "to_name": "Bea Buyer",
        "subject": "Quick question about your pipeline",
        "body_text": "Hello Bea,\nshall we talk?",
        "body_html": "<html><body><p>Hello Bea, shall we talk?</p></body></html>",
        "kind": EmailKind.OUTREACH,
    }
    return email_enqueue(**{**fields, **overrides})


def test_outreach_email_arrives_with_sender_footer_and_one_click_unsubscribe(
    mail_config, smtp_server
):
    message = _outreach()

    outcome = deliver(message)

    assert outcome == DeliverOutcome.SENT
    [received] = smtp_server.wait_for(1)
    assert received["To"] == "Bea Buyer <buyer@example.com>"
    assert received["From"] == "Test Sales <sales@test.example>"
    assert received["Reply-To"] == "replies@test.example"
    assert received["Subject"] == "Quick question about your pipeline"
    assert received["Message-ID"] == message.message_id
    unsubscribe = str(received["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://test.localhost/u/")
    assert "<mailto:replies@test.example?subject=unsubscribe>" in unsubscribe
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Test Ltd, 1 Test Street, Berlin" in body
        assert "Test Sales" in body
    link = unsubscribe.split(">")[0][1:]
    assert link in text
    assert html.index("Unsubscribe") < html.index("</body>")
    sent = reload(message)
    assert sent.status == EmailStatus.SENT
    assert sent.sent_at is not None
    assert sent.provider_message_id == message.message_id
    assert not sent.sandboxed
    assert list(sent.history.values_list("to_status", flat=True)) == [
        EmailStatus.QUEUED,
        EmailStatus.SENDING,
        EmailStatus.SENT,
    ]


def test_non_outreach_email_has_footer_but_no_unsubscribe_headers(mail_config, smtp_server):
    message = email_enqueue(
        to_email="ap@customer.example",
        subject="Invoice 2026-001",
        body_text="Please find the invoice attached.",
        kind=EmailKind.INVOICE,
        attachments=[AttachmentInput(filename="invoice-2026-001.pdf", content=PDF_BYTES)],
    )

    deliver(message)

    [received] = smtp_server.wait_for(1)
    assert received["List-Unsubscribe"] is None
    assert "Test Ltd, 1 Test Street, Berlin" in received.get_body(("plain",)).get_content()
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "invoice-2026-001.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF_BYTES
    stored = reload(message).attachments.get()
    assert stored.size == len(PDF_BYTES)


def test_one_artifact_is_queued_once_and_received_once(mail_config, smtp_server):
    artifact = UserFactory()
    first = _outreach(artifact=artifact)
    second = _outreach(artifact=artifact, subject="A different draft")

    outcomes = [deliver(first), deliver(second), deliver(first)]

    assert second.pk == first.pk
    assert EmailMessage.objects.count() == 1
    assert outcomes == [DeliverOutcome.SENT, DeliverOutcome.SKIPPED, DeliverOutcome.SKIPPED]
    assert len(smtp_server.wait_for(1)) == 1


def test_the_database_refuses_a_second_message_for_one_artifact_and_kind(mail_config):
    from django.db import IntegrityError, transaction

    first = _outreach(artifact=UserFactory())

    with pytest.raises(IntegrityError), transaction.atomic():
        EmailMessage.objects.create(
            to_email="x@example.com",
            from_email="a@example.com",
            subject="dup",
            body_text="dup",
            message_id="<dup@test>",
            kind=first.kind,
            artifact_content_type=first.artifact_content_type,
            artifact_id=first.artifact_id,
        )


def test_a_stale_task_for_a_message_does_nothing(mail_config, smtp_server):
    message = _outreach()
    stale_dispatch = str(message.dispatch_id)
    email_cancel(message=message)

    outcome = deliver(message)

    assert outcome == DeliverOutcome.SKIPPED
    assert reload(message).status == EmailStatus.CANCELLED
    assert str(message.dispatch_id) == stale_dispatch
    assert smtp_server.messages == []


def test_a_suppressed_recipient_is_recorded_at_enqueue_and_never_sent(mail_config, smtp_server):
    suppression_add(email="buyer@example.com", reason="unsubscribed")

    message = _outreach(to_email="BUYER@example.com")

    assert message.status == EmailStatus.SUPPRESSED
    assert message.dispatch_id is None
    assert smtp_server.messages == []


def test_a_recipient_suppressed_after_enqueue_is_caught_at_send_time(mail_config, smtp_server):
    message = _outreach()
    suppression_add(email="buyer@example.com", reason="bounced")

    outcome = deliver(message)

    assert outcome == DeliverOutcome.SUPPRESSED
    assert reload(message).status == EmailStatus.SUPPRESSED
    assert smtp_server.messages == []
    change = EmailStatusChange.objects.filter(message=message).last()
    assert change.reason == "recipient suppressed (bounced)"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"to_email": "not-an-address"}, "to_email", id="bad-recipient"),
        pytest.param({"subject": "two\nlines"}, "subject", id="header-injection-subject"),
        pytest.param({"kind": "spam"}, "kind", id="unknown-kind"),
        pytest.param({"headers": {"Bcc": "spy@example.com"}}, "headers", id="reserved-header"),
        pytest.param({"headers": {"X-Tag": "a\r\nBcc: x"}}, "headers", id="injected-header"),
        pytest.param(
            {"attachments": [AttachmentInput(filename="../etc/passwd", content=b"x")]},
            "attachments",
            id="attachment-path",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(mail_config, overrides, field):
    with pytest.raises(ValidationError) as refused:
        _outreach(**overrides)

    assert field in refused.value.message_dict
    assert EmailMessage.objects.count() == 0


def test_outreach_is_refused_when_the_tenant_has_no_postal_address(mail_config, tenant):
    tenant.postal_address = ""
    tenant.save(update_fields=["postal_address"])

    with pytest.raises(ValidationError, match="postal address"):
        _outreach()

    assert EmailMessage.objects.count() == 0


def test_enqueue_sends_the_task_only_after_commit(mail_config, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = _outreach()

    assert len(callbacks) == 1
    assert message.status == EmailStatus.QUEUED


def test_unsubscribe_links_carry_the_configured_port(mail_config, settings):
    settings.MAIL_LINK_SCHEME = "http"
    settings.MAIL_LINK_PORT = 8000

    message = email_enqueue(
        to_email="x@example.com", subject="Hi", body_text="Hi", kind=EmailKind.OUTREACH
    )

    assert message.headers["List-Unsubscribe"].startswith("<http://test.localhost:8000/u/")
