"""The agent settings API: every role reads them, admins change them; bad values are refused
with the 400 envelope and leave the settings as they were."""

from __future__ import annotations

import pytest

from revo.accounts.roles import Role
from revo.agents.models import AgentSettings, default_scoring_weights
from revo.audit.selectors import history_for
from tests.contracts.factories import PriceListItemFactory

URL = "/api/v1/agent-settings"


@pytest.fixture
def headers_of(user_by_role, auth_header):  # noqa: ANN001, ANN201
    return lambda role: auth_header(user_by_role(role))


@pytest.mark.parametrize("role", Role.values, ids=Role.values)
def test_every_role_reads_the_settings(api_client, headers_of, role):
    response = api_client.get(URL, **headers_of(role))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scoring_weights"] == default_scoring_weights()
    assert body["min_company_size"] == AgentSettings().min_company_size
    assert "singleton" not in body


def test_an_admins_change_is_saved_normalised_and_audited(api_client, headers_of):
    item = PriceListItemFactory(sku="PIPE-GROWTH")
    body = {
        "target_industries": [" SaaS ", "Software"],
        "target_countries": ["de", "AT"],
        "min_company_size": 20,
        "max_company_size": 500,
        "scoring_weights": {
            "title": 30,
            "company_size": 20,
            "industry": 20,
            "source": 10,
            "completeness": 20,
        },
        "offer_package": [{"sku": "pipe-growth", "quantity": 2}],
    }

    response = api_client.patch(URL, body, format="json", **headers_of(Role.ADMIN))

    assert response.status_code == 200, response.content
    saved = AgentSettings.objects.get()
    assert saved.target_industries == ["saas", "software"]
    assert saved.target_countries == ["DE", "AT"]
    assert (saved.min_company_size, saved.max_company_size) == (20, 500)
    assert saved.scoring_weights["title"] == 30
    assert saved.offer_package == [{"sku": item.sku, "quantity": 2}]
    assert response.json()["scoring_weights"]["title"] == 30
    audit = history_for(saved).get()
    assert audit.by_user.role == Role.ADMIN
    assert audit.data["changes"]["target_countries"]["to"] == ["DE", "AT"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scoring_weights": {"title": 1}}, "scoring_weights"),
        (
            {
                "scoring_weights": {
                    "title": 0,
                    "company_size": 0,
                    "industry": 0,
                    "source": 0,
                    "completeness": 0,
                }
            },
            "scoring_weights",
        ),
        ({"source_scores": {"event": 101}}, "source_scores"),
        ({"model_weight_pct": 120}, "model_weight_pct"),
        ({"min_company_size": 5000}, "min_company_size"),
        ({"follow_up_after_days": 0}, "follow_up_after_days"),
        ({"max_follow_ups": 11}, "max_follow_ups"),
        ({"offer_package": [{"sku": "NOPE", "quantity": 1}]}, "offer_package"),
        ({"offer_package": [{"sku": "NOPE", "quantity": 0}]}, "offer_package"),
        ({"target_countries": ["Atlantis"]}, "target_countries"),
        ({"singleton": False}, "singleton"),
        ({"sender_name": ""}, "sender_name"),
    ],
    ids=[
        "weights-missing-criteria",
        "weights-all-zero",
        "source-score-over-100",
        "model-weight-over-100",
        "min-above-max",
        "follow-up-zero-days",
        "too-many-follow-ups",
        "unknown-sku",
        "zero-quantity",
        "unknown-country",
        "read-only-field",
        "blank-sender",
    ],
)
def test_a_bad_change_is_refused_with_the_envelope_and_saves_nothing(
    api_client, headers_of, body, field
):
    response = api_client.patch(URL, body, format="json", **headers_of(Role.ADMIN))

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"], error
    assert not AgentSettings.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.SALES, Role.SDR, Role.FINANCE, Role.VIEWER], ids=lambda r: str(r)
)
def test_only_an_admin_may_change_the_settings(api_client, headers_of, role):
    response = api_client.patch(URL, {"max_follow_ups": 5}, format="json", **headers_of(role))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not AgentSettings.objects.exists()


def test_reading_needs_a_signed_in_user(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
