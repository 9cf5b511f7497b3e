"""Changing the agent settings: the service's checks and audit, and the singleton admin
page built on it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from revo.accounts.roles import Role
from revo.agents.agents.common import agent_settings
from revo.agents.models import AgentSettings
from revo.agents.services_settings import EDITABLE_FIELDS, agent_settings_update
from revo.audit.selectors import history_for
from revo.core.exceptions import InvalidInput
from tests.contracts.factories import PriceListItemFactory
from tests.factories import UserFactory

WEIGHTS = {"title": 30, "company_size": 20, "industry": 20, "source": 10, "completeness": 20}


@pytest.fixture
def admin_user(tenant):  # noqa: ANN001, ANN201
    return UserFactory(role=Role.ADMIN)


# -- the service ------------------------------------------------------------------------------


def test_update_normalises_saves_and_audits_the_changed_fields(tenant, admin_user):
    PriceListItemFactory(sku="ONBOARD")

    saved = agent_settings_update(
        by=admin_user,
        target_industries=["SaaS", " saas ", "Data  Analytics", ""],
        target_countries=["de", "Germany", "at"],
        source_scores={" Trade Show ": 70, "referral": 100},
        scoring_weights={**WEIGHTS, "title": 12.5},
        offer_package=[{"sku": "onboard", "quantity": 3}],
        max_follow_ups=3,
        sender_name="  Petra Lang ",
    )

    stored = agent_settings()
    assert stored.pk == saved.pk
    assert stored.target_industries == ["saas", "data analytics"]
    assert stored.target_countries == ["DE", "AT"]
    assert stored.source_scores == {"trade show": 70, "referral": 100}
    assert stored.scoring_weights == {**WEIGHTS, "title": 12.5}
    assert stored.offer_package == [{"sku": "ONBOARD", "quantity": 3}]
    assert (stored.max_follow_ups, stored.sender_name) == (3, "Petra Lang")
    audit = history_for(stored).get()
    assert (audit.field, audit.transition, audit.by_user) == ("settings", "update", admin_user)
    assert audit.data["changes"]["max_follow_ups"] == {"from": 2, "to": 3}
    assert set(audit.data["changes"]) == {
        "target_industries",
        "target_countries",
        "source_scores",
        "scoring_weights",
        "offer_package",
        "max_follow_ups",
        "sender_name",
    }


def test_an_update_that_changes_nothing_writes_no_audit_row(tenant, admin_user):
    agent_settings_update(by=admin_user, max_follow_ups=4)

    agent_settings_update(by=admin_user, max_follow_ups=4)

    assert history_for(agent_settings()).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scoring_weights": {**WEIGHTS, "bonus": 5}}, "scoring_weights"),
        (
            {"scoring_weights": {k: v for k, v in WEIGHTS.items() if k != "title"}},
            "scoring_weights",
        ),
        ({"scoring_weights": {**WEIGHTS, "title": -1}}, "scoring_weights"),
        ({"scoring_weights": {**WEIGHTS, "title": "heavy"}}, "scoring_weights"),
        ({"scoring_weights": dict.fromkeys(WEIGHTS, 0)}, "scoring_weights"),
        ({"source_scores": {"event": -1}}, "source_scores"),
        ({"source_scores": {"event": 50.5}}, "source_scores"),
        ({"source_scores": {"Event": 50, "event ": 60}}, "source_scores"),
        ({"model_weight_pct": 101}, "model_weight_pct"),
        ({"min_company_size": 2000}, "min_company_size"),
        ({"max_company_size": 10}, "max_company_size"),
        ({"follow_up_after_days": 0}, "follow_up_after_days"),
        ({"max_follow_ups": 11}, "max_follow_ups"),
        ({"max_follow_ups": True}, "max_follow_ups"),
        ({"offer_package": [{"sku": "GHOST", "quantity": 1}]}, "offer_package"),
        ({"offer_package": [{"sku": "ONBOARD", "quantity": 0}]}, "offer_package"),
        ({"offer_package": [{"sku": "ONBOARD"}, {"sku": "onboard"}]}, "offer_package"),
        ({"target_countries": ["XX"]}, "target_countries"),
        ({"target_industries": "software"}, "target_industries"),
        ({"singleton": False}, "singleton"),
        ({"offering_name": " "}, "offering_name"),
    ],
    ids=[
        "weights-unknown-criterion",
        "weights-missing-criterion",
        "weights-negative",
        "weights-not-a-number",
        "weights-all-zero",
        "source-score-negative",
        "source-score-fraction",
        "source-twice",
        "model-weight-over-100",
        "min-above-default-max",
        "max-below-default-min",
        "follow-up-after-zero-days",
        "more-than-10-follow-ups",
        "bool-is-not-a-number",
        "sku-not-on-price-list",
        "quantity-zero",
        "sku-twice",
        "unknown-country",
        "industries-not-a-list",
        "not-editable",
        "required-text-blank",
    ],
)
def test_bad_values_are_refused_by_field_and_nothing_changes(tenant, admin_user, changes, field):
    PriceListItemFactory(sku="ONBOARD")
    before = agent_settings_update(by=admin_user, sender_name="Alex")

    with pytest.raises(InvalidInput) as caught:
        agent_settings_update(by=admin_user, contract_term_months=24, **changes)

    assert field in caught.value.details
    after = AgentSettings.objects.get()
    assert (after.contract_term_months, after.updated_at) == (12, before.updated_at)
    assert history_for(after).count() == 1


def test_min_and_max_company_size_may_move_together(tenant, admin_user):
    saved = agent_settings_update(by=admin_user, min_company_size=2000, max_company_size=5000)

    assert (saved.min_company_size, saved.max_company_size) == (2000, 5000)


# -- the admin page ---------------------------------------------------------------------------


def _form(settings: AgentSettings, **overrides: Any) -> dict[str, str]:
    data = {}
    for name in EDITABLE_FIELDS:
        value = getattr(settings, name)
        data[name] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    data.update(
        {k: json.dumps(v) if isinstance(v, list | dict) else str(v) for k, v in overrides.items()}
    )
    return data


def test_the_admin_list_leads_to_adding_the_row_then_to_changing_it(
    tenant, tenant_client, admin_user
):
    tenant_client.force_login(admin_user)
    changelist = reverse("admin:agents_agentsettings_changelist")

    first = tenant_client.get(changelist)
    assert first.status_code == 302
    assert first["Location"] == reverse("admin:agents_agentsettings_add")
    assert tenant_client.get(first["Location"]).status_code == 200

    added = tenant_client.post(first["Location"], _form(AgentSettings(), max_follow_ups=5))
    assert added.status_code == 302, added.context["adminform"].form.errors
    stored = AgentSettings.objects.get()
    assert stored.max_follow_ups == 5

    again = tenant_client.get(changelist)
    change_url = reverse("admin:agents_agentsettings_change", args=[stored.pk])
    assert again["Location"] == change_url
    assert tenant_client.get(reverse("admin:agents_agentsettings_add"))["Location"] == change_url
    page = tenant_client.get(change_url)
    assert page.status_code == 200
    assert "Delete" not in page.content.decode()


def test_the_admin_saves_through_the_service_with_an_audit_row(tenant, tenant_client, admin_user):
    stored = agent_settings_update(by=admin_user, sender_name="Alex")
    tenant_client.force_login(admin_user)

    response = tenant_client.post(
        reverse("admin:agents_agentsettings_change", args=[stored.pk]),
        _form(stored, target_countries=["nl", "be"], model_weight_pct=25),
    )

    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.target_countries, stored.model_weight_pct) == (["NL", "BE"], 25)
    audit = history_for(stored).order_by("-id").first()
    assert (audit.by_user, audit.reason) == (admin_user, "edited in admin")
    assert set(audit.data["changes"]) == {"target_countries", "model_weight_pct"}


def test_the_admin_shows_the_services_refusal_next_to_the_field(tenant, tenant_client, admin_user):
    stored = agent_settings_update(by=admin_user, sender_name="Alex")
    tenant_client.force_login(admin_user)

    response = tenant_client.post(
        reverse("admin:agents_agentsettings_change", args=[stored.pk]),
        _form(stored, scoring_weights={"title": 1}, max_follow_ups=12),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "scoring_weights needs exactly" in errors["scoring_weights"][0]
    assert "max_follow_ups must be between 0 and 10" in errors["max_follow_ups"][0]
    stored.refresh_from_db()
    assert stored.max_follow_ups == 2


def test_no_role_may_delete_the_settings_and_only_admins_change_them(tenant, tenant_client):
    stored = agent_settings_update(by=None, sender_name="Alex")
    tenant_client.force_login(UserFactory(role=Role.SALES))
    change_url = reverse("admin:agents_agentsettings_change", args=[stored.pk])

    response = tenant_client.post(change_url, _form(stored, max_follow_ups=7))
    deleted = tenant_client.post(
        reverse("admin:agents_agentsettings_delete", args=[stored.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert deleted.status_code == 403
    stored.refresh_from_db()
    assert stored.max_follow_ups == 2
