"""Bounces, complaints and manual suppressions through the API."""

from __future__ import annotations

import pytest

from revo.accounts.roles import Role
from revo.mail.models import MailEvent, Suppression

EVENTS_URL = "/api/v1/mail/events"
SUPPRESSIONS_URL = "/api/v1/mail/suppressions"


@pytest.fixture
def admin(user_by_role):  # noqa: ANN201
    return user_by_role(Role.ADMIN)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("bounce", "bounced"), ("complaint", "complained")],
    ids=["bounce", "complaint"],
)
def test_an_event_suppresses_the_address(api_client, admin, auth_header, kind, reason):
    response = api_client.post(
        EVENTS_URL,
        {"email": "Gone@Example.com", "kind": kind, "detail": "550 no such user"},
        **auth_header(admin),
    )

    body = response.json()
    assert response.status_code == 201, body
    assert MailEvent.objects.get(pk=body["id"]).kind == kind
    suppression = Suppression.objects.get(pk=body["suppression_id"])
    assert (suppression.email, suppression.reason) == ("gone@example.com", reason)


def test_an_unknown_event_kind_is_400(api_client, admin, auth_header):
    response = api_client.post(
        EVENTS_URL, {"email": "a@example.com", "kind": "delivered"}, **auth_header(admin)
    )

    assert response.status_code == 400
    assert not Suppression.objects.filter(email="a@example.com").exists()


@pytest.mark.parametrize("role", [Role.SALES, Role.SDR, Role.FINANCE, Role.VIEWER], ids=str)
def test_only_admins_record_events(api_client, user_by_role, auth_header, role):
    response = api_client.post(
        EVENTS_URL,
        {"email": "a@example.com", "kind": "bounce"},
        **auth_header(user_by_role(role)),
    )

    assert response.status_code == 403
    assert not Suppression.objects.filter(email="a@example.com").exists()


def test_manual_suppression_is_idempotent_and_listed(
    api_client, admin, auth_header, user_by_role, django_assert_max_num_queries
):
    headers = auth_header(admin)

    first = api_client.post(SUPPRESSIONS_URL, {"email": "no@example.com"}, **headers)
    again = api_client.post(SUPPRESSIONS_URL, {"email": "NO@example.com"}, **headers)
    viewer = auth_header(user_by_role(Role.VIEWER))
    with django_assert_max_num_queries(8):
        listed = api_client.get(SUPPRESSIONS_URL, {"reason": "manual"}, **viewer)

    assert first.status_code == 201
    assert first.json()["reason"] == "manual"
    assert again.json()["id"] == first.json()["id"]
    assert [s["email"] for s in listed.json()["results"]] == ["no@example.com"]


def test_a_suppression_body_cannot_choose_its_reason(api_client, admin, auth_header):
    response = api_client.post(
        SUPPRESSIONS_URL, {"email": "x@example.com", "reason": "bounced"}, **auth_header(admin)
    )

    assert response.status_code == 400
    assert not Suppression.objects.filter(email="x@example.com").exists()
