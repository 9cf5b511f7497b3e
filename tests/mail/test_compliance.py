from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db.transaction import atomic

from revo.mail.models import MailEvent, Suppression
from revo.mail.services import mail_event_record, suppression_add
from revo.mail.tokens import unsubscribe_token_make


def _token(email: str = "buyer@example.com", schema: str = "test") -> str:
    return unsubscribe_token_make(schema=schema, email=email)


def test_unsubscribe_page_asks_for_confirmation_without_suppressing(tenant_client):
    response = tenant_client.get(f"/u/{_token()}")

    assert response.status_code == 200
    assert b"buyer@example.com" in response.content
    assert b'<form method="post">' in response.content
    assert not Suppression.objects.exists()


def test_one_click_post_suppresses_at_once_and_repeating_it_is_harmless(tenant_client):
    url = f"/u/{_token()}"

    first = tenant_client.post(url, {"List-Unsubscribe": "One-Click"})
    second = tenant_client.post(url, {"List-Unsubscribe": "One-Click"})

    assert first.status_code == second.status_code == 200
    [entry] = Suppression.objects.all()
    assert entry.email == "buyer@example.com"
    assert entry.reason == "unsubscribed"
    assert b"already unsubscribed" in tenant_client.get(url).content


def test_one_click_post_needs_no_csrf_token(tenant):
    from django.test import Client

    client = Client(HTTP_HOST="test.localhost", enforce_csrf_checks=True)

    response = client.post(f"/u/{_token()}", {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert Suppression.objects.filter(email="buyer@example.com").exists()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_token()[:-2] + "xx", id="tampered-signature"),
        pytest.param(_token().replace(_token().split(":")[0], "eyJzIjoidGVzdCJ9"), id="swapped"),
        pytest.param("not-a-token", id="garbage"),
        pytest.param(_token(schema="other"), id="other-tenants-token"),
    ],
)
def test_a_tampered_or_foreign_unsubscribe_token_is_refused(tenant_client, token):
    for response in (tenant_client.get(f"/u/{token}"), tenant_client.post(f"/u/{token}")):
        assert response.status_code == 400
        assert b"not valid" in response.content
    assert not Suppression.objects.exists()


def test_suppression_is_unique_whatever_the_case(tenant):
    first = suppression_add(email="Someone@Example.com", reason="manual", source="admin")
    again = suppression_add(email="someone@example.COM", reason="bounced")

    assert again.pk == first.pk
    assert again.reason == "manual"
    with pytest.raises(IntegrityError, match="mail_suppression_email_ci_unique"), atomic():
        Suppression.objects.create(email="SOMEONE@example.com", reason="manual")


def test_a_bounce_suppresses_the_address_and_is_recorded(tenant):
    event = mail_event_record(email="Gone@Example.com", kind="bounce", detail="550 no such user")

    assert event.email == "gone@example.com"
    assert Suppression.objects.get(email="gone@example.com").reason == "bounced"


def test_an_unknown_event_kind_is_refused_and_nothing_is_written(tenant):
    with pytest.raises(ValidationError):
        mail_event_record(email="x@example.com", kind="delivered")

    assert not MailEvent.objects.exists()
    assert not Suppression.objects.exists()


@pytest.fixture
def webhook_secret(mail_config) -> str:
    return mail_config.webhook_secret


def _post_event(client, body: object, secret: str | None):  # noqa: ANN001, ANN202
    headers = {"HTTP_X_REVO_WEBHOOK_SECRET": secret} if secret is not None else {}
    return client.post(
        "/u/events", data=json.dumps(body), content_type="application/json", **headers
    )


def test_the_events_webhook_records_a_complaint_with_the_tenant_secret(
    tenant_client, webhook_secret
):
    response = _post_event(
        tenant_client, {"email": "angry@example.com", "kind": "complaint"}, webhook_secret
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "complaint"
    assert Suppression.objects.get(email="angry@example.com").reason == "complained"


@pytest.mark.parametrize(
    ("secret", "status"),
    [pytest.param(None, 401, id="missing"), pytest.param("wrong", 403, id="wrong")],
)
def test_the_events_webhook_refuses_a_missing_or_wrong_secret(
    tenant_client, webhook_secret, secret, status
):
    response = _post_event(tenant_client, {"email": "a@example.com", "kind": "bounce"}, secret)

    assert response.status_code == status
    assert response.json()["error"]["code"] in {"not_authenticated", "permission_denied"}
    assert not Suppression.objects.exists()


def test_the_events_webhook_secret_of_one_tenant_does_not_work_on_another(
    tenant_client, other_client, webhook_secret, in_other_tenant
):
    with in_other_tenant():
        from revo.mail.services import mail_settings_ensure

        assert mail_settings_ensure().webhook_secret != webhook_secret

    response = _post_event(
        other_client, {"email": "a@example.com", "kind": "bounce"}, webhook_secret
    )

    assert response.status_code == 403
    connection.set_schema("test")
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"email": "nope", "kind": "bounce"}, id="bad-email"),
        pytest.param({"email": "a@example.com", "kind": "opened"}, id="bad-kind"),
        pytest.param(["a@example.com"], id="not-an-object"),
    ],
)
def test_the_events_webhook_refuses_malformed_events(tenant_client, webhook_secret, body):
    response = _post_event(tenant_client, body, webhook_secret)

    assert response.status_code == 400
    assert not MailEvent.objects.exists()
