from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from revo.mail.models import EmailKind, EmailStatus, Suppression
from revo.mail.services import AttachmentInput, email_enqueue
from tests.conftest import ADMIN_PASSWORD
from tests.mail.conftest import deliver, reload


def _message(**overrides):  # noqa: ANN003, ANN202
    fields = {
        "to_email": "lead@example.com",
        "subject": "Sandboxed hello",
        "body_text": "Hi there",
        "kind": EmailKind.OUTREACH,
    }
    return email_enqueue(**{**fields, **overrides})


def test_sandbox_writes_an_eml_file_and_sends_nothing_over_smtp(
    mail_config, smtp_server, sandbox, settings
):
    settings.MAIL_SANDBOX = True
    message = _message(attachments=[AttachmentInput("notes.txt", b"hello", "text/plain")])

    deliver(message)

    sent = reload(message)
    assert sent.status == EmailStatus.SENT
    assert sent.sandboxed
    [eml] = list(sandbox.glob("*.eml"))
    assert str(eml) == sent.sandbox_path
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == message.message_id
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [part.get_filename() for part in parsed.iter_attachments()] == ["notes.txt"]
    assert smtp_server.messages == []
    assert smtp_server.envelopes == []


@pytest.fixture
def admin_client(tenant_client):  # noqa: ANN201
    assert tenant_client.login(username="admin@test.example", password=ADMIN_PASSWORD)
    return tenant_client


def test_admin_labels_sandboxed_messages_and_shows_the_raw_message(
    mail_config, sandbox, admin_client
):
    message = _message()
    deliver(message)

    listing = admin_client.get("/admin/mail/emailmessage/?sandboxed__exact=1")
    detail = admin_client.get(f"/admin/mail/emailmessage/{message.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    assert b"SANDBOX" in listing.content
    assert b"SANDBOX" in detail.content
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in detail.content


def test_admin_cancels_queued_and_retries_failed_messages_through_the_services(
    mail_config, smtp_server, admin_client
):
    smtp_server.script("550 5.1.1 No such user")
    failed = _message(to_email="gone@example.com")
    deliver(failed)
    queued = _message(to_email="waiting@example.com")
    url = "/admin/mail/emailmessage/"

    admin_client.post(url, {"action": "cancel_queued", "_selected_action": [queued.pk]})
    admin_client.post(url, {"action": "retry_failed", "_selected_action": [failed.pk]})

    assert reload(queued).status == EmailStatus.CANCELLED
    assert reload(queued).cancel_reason == "cancelled by a person"
    retried = reload(failed)
    assert retried.status == EmailStatus.QUEUED
    assert retried.history.last().by.email == "admin@test.example"


def test_admin_filters_cancelled_apart_from_suppressed_and_shows_the_reason(
    mail_config, sandbox, admin_client
):
    # given one email held back by its artifact and one to a suppressed address
    from revo.mail.registry import register_artifact_sender, unregister_artifact_sender
    from revo.mail.services import suppression_add
    from tests.factories import UserFactory

    register_artifact_sender("accounts.user", veto=lambda artifact, message: "paid meanwhile")
    try:
        held = _message(to_email="held@example.com", artifact=UserFactory())
        deliver(held)
    finally:
        unregister_artifact_sender("accounts.user")
    suppression_add(email="blocked@example.com", reason="manual", source="test")
    blocked = _message(to_email="blocked@example.com")

    # when the outbox is filtered by status
    cancelled = admin_client.get("/admin/mail/emailmessage/?status__exact=cancelled")
    suppressed = admin_client.get("/admin/mail/emailmessage/?status__exact=suppressed")
    detail = admin_client.get(f"/admin/mail/emailmessage/{held.pk}/change/")

    # then each lands under its own status and the held one says why
    assert reload(blocked).status == EmailStatus.SUPPRESSED
    assert b"held@example.com" in cancelled.content
    assert b"blocked@example.com" not in cancelled.content
    assert b"blocked@example.com" in suppressed.content
    assert b"held@example.com" not in suppressed.content
    assert b"held back by its artifact: paid meanwhile" in detail.content


def test_admin_adds_a_manual_suppression(mail_config, admin_client):
    response = admin_client.post(
        "/admin/mail/suppression/add/",
        {
            "email": "Manual@Example.com",
            "reason": "manual",
            "source": "",
            "detail": "asked by phone",
        },
    )

    assert response.status_code == 302
    assert Suppression.objects.get().email == "manual@example.com"


def test_admin_outbox_list_warns_that_sandbox_mode_is_on(mail_config, sandbox, admin_client):
    response = admin_client.get("/admin/mail/emailmessage/")

    assert b"SANDBOX mode" in response.content


@pytest.mark.parametrize(
    ("role", "sees_secret"),
    [pytest.param("admin", True, id="admin"), pytest.param("viewer", False, id="viewer")],
)
def test_only_who_may_change_mail_settings_sees_the_webhook_secret(
    mail_config, tenant_client, role, sees_secret
):
    from tests.factories import UserFactory

    user = UserFactory(role=role, password=ADMIN_PASSWORD)
    tenant_client.force_login(user)

    response = tenant_client.get(f"/admin/mail/mailsettings/{mail_config.pk}/change/")

    assert response.status_code == 200
    assert (mail_config.webhook_secret.encode() in response.content) is sees_secret
