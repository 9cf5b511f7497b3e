"""The outbox through the API: ``suppressed`` and ``cancelled`` are told apart, with the
reason a cancelled email was held back."""

from __future__ import annotations

import pytest

from revo.accounts.roles import Role
from revo.mail.models import EmailKind, EmailStatus
from revo.mail.registry import register_artifact_sender, unregister_artifact_sender
from revo.mail.services import email_deliver, email_enqueue, mail_settings_update, suppression_add
from tests.factories import UserFactory

MESSAGES_URL = "/api/v1/mail/messages"


@pytest.fixture
def held_and_suppressed(tenant, settings, tmp_path, monkeypatch) -> dict[str, int]:
    """One email held back by its artifact at send time, one to a suppressed address and
    one still queued."""
    settings.MAIL_SANDBOX = True
    monkeypatch.setenv("REVO_HOME", str(tmp_path))
    mail_settings_update(business_hours_only=False)
    register_artifact_sender("accounts.user", veto=lambda artifact, message: "invoice paid")
    try:
        held = email_enqueue(
            to_email="held@example.com",
            subject="Reminder",
            body_text="Please pay",
            kind=EmailKind.NOTIFICATION,
            artifact=UserFactory(),
        )
        email_deliver(message_id=held.pk, dispatch_id=str(held.dispatch_id))
    finally:
        unregister_artifact_sender("accounts.user")
    suppression_add(email="blocked@example.com", reason="manual", source="test")
    blocked = email_enqueue(
        to_email="blocked@example.com",
        subject="Hello",
        body_text="Hi",
        kind=EmailKind.NOTIFICATION,
    )
    queued = email_enqueue(
        to_email="later@example.com", subject="Later", body_text="Hi", kind=EmailKind.NOTIFICATION
    )
    return {"held": held.pk, "blocked": blocked.pk, "queued": queued.pk}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("cancelled", ["held"], id="cancelled"),
        pytest.param("suppressed", ["blocked"], id="suppressed"),
        pytest.param("queued", ["queued"], id="queued"),
    ],
)
def test_the_outbox_is_filtered_by_status(
    api_client, user_by_role, auth_header, held_and_suppressed, status, expected
):
    response = api_client.get(
        MESSAGES_URL, {"status": status}, **auth_header(user_by_role(Role.VIEWER))
    )

    assert response.status_code == 200, response.json()
    by_pk = {pk: name for name, pk in held_and_suppressed.items()}
    assert [by_pk[row["id"]] for row in response.json()["results"]] == expected


def test_a_held_back_email_shows_its_status_and_reason(
    api_client, user_by_role, auth_header, held_and_suppressed, django_assert_max_num_queries
):
    headers = auth_header(user_by_role(Role.FINANCE))

    with django_assert_max_num_queries(8):
        response = api_client.get(MESSAGES_URL, **headers)

    rows = {row["id"]: row for row in response.json()["results"]}
    held = rows[held_and_suppressed["held"]]
    blocked = rows[held_and_suppressed["blocked"]]
    assert (held["status"], held["cancel_reason"]) == (
        "cancelled",
        "held back by its artifact: invoice paid",
    )
    assert held["artifact_type"] == "accounts.user"
    assert (blocked["status"], blocked["cancel_reason"]) == ("suppressed", "")
    assert "body_text" not in held


def test_an_unknown_status_filter_is_refused(
    api_client, user_by_role, auth_header, held_and_suppressed
):
    response = api_client.get(
        MESSAGES_URL, {"status": "held"}, **auth_header(user_by_role(Role.VIEWER))
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_the_schema_names_every_email_status(client, db):
    from tests.conftest import TEST_DOMAIN

    schema = client.get("/api/schema/", {"format": "json"}, HTTP_HOST=TEST_DOMAIN).json()

    statuses = schema["components"]["schemas"]["EmailStatusEnum"]["enum"]
    assert set(statuses) == set(EmailStatus.values)
    assert {"suppressed", "cancelled"} <= set(statuses)
    operation = schema["paths"][MESSAGES_URL]["get"]
    [status_filter] = [p for p in operation["parameters"] if p["name"] == "status"]
    assert set(status_filter["schema"]["items"]["enum"]) == set(statuses)
    fields = schema["components"]["schemas"]["EmailMessageOutput"]["properties"]
    assert fields["status"]["allOf"] == [{"$ref": "#/components/schemas/EmailStatusEnum"}]
    assert "cancel_reason" in fields
