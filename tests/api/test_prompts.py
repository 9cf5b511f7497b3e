"""The prompts API: active versions, a prompt's versions, edits that create versions, and
activation (rollback) by admins only."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from revo.accounts.roles import Role
from revo.llm.models import PromptSource, PromptTemplate
from tests.conftest import OTHER_DOMAIN
from tests.llm.factories import PromptTemplateFactory

URL = "/api/v1/prompts"


@pytest.fixture
def headers_of(user_by_role, auth_header):  # noqa: ANN001, ANN201
    return lambda role: auth_header(user_by_role(role))


@pytest.fixture
def prompt() -> PromptTemplate:
    """A prompt with two versions; the second is active."""
    first = PromptTemplateFactory(key="test.email")
    PromptTemplateFactory(key="test.email", system_text="Be brief.")
    return first


def test_the_list_shows_each_prompts_active_version_and_count(
    api_client, headers_of, prompt, django_assert_max_num_queries
):
    headers = headers_of(Role.VIEWER)

    with django_assert_max_num_queries(6):
        response = api_client.get(URL, {"page_size": 200}, **headers)

    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()["results"]}
    assert rows["test.email"]["active_version"] == 2
    assert rows["test.email"]["version_count"] == 2
    assert rows["test.email"]["link"] == f"{URL}/test.email"
    assert len(rows) == PromptTemplate.objects.filter(is_active=True).count()


def test_a_prompts_versions_newest_first(api_client, headers_of, prompt):
    response = api_client.get(f"{URL}/test.email", **headers_of(Role.SALES))

    assert response.status_code == 200
    body = response.json()
    assert body["active_version"] == 2
    assert [(v["version"], v["is_active"]) for v in body["versions"]] == [(2, True), (1, False)]
    assert body["versions"][0]["system_text"] == "Be brief."


def test_an_unknown_prompt_is_not_found(api_client, headers_of):
    response = api_client.get(f"{URL}/no.such.prompt", **headers_of(Role.VIEWER))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_admins_edit_creates_and_activates_a_new_version(api_client, headers_of, prompt):
    response = api_client.patch(
        f"{URL}/test.email",
        {"system_text": "Be warm.", "note": "tone"},
        format="json",
        **headers_of(Role.ADMIN),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    created = PromptTemplate.objects.get(pk=body["prompt_id"])
    assert (body["version"], body["is_active"], body["previous_active_version"]) == (3, True, 2)
    assert created.system_text == "Be warm."
    assert created.user_template == prompt.user_template
    assert created.source == PromptSource.USER
    assert created.note == "tone"
    assert created.author.role == Role.ADMIN
    assert PromptTemplate.objects.get(key="test.email", version=2).system_text == "Be brief."


def test_an_edit_may_leave_the_active_version_in_place(api_client, headers_of, prompt):
    response = api_client.patch(
        f"{URL}/test.email",
        {"system_text": "Draft.", "activate": False},
        format="json",
        **headers_of(Role.ADMIN),
    )

    assert response.json()["is_active"] is False
    assert PromptTemplate.objects.get(key="test.email", is_active=True).version == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ({"version": 9}, "version"),
        ({"is_active": True}, "is_active"),
        ({"output_schema": {"type": "nonsense"}}, None),
        ({"user_template": "{% if %}"}, None),
    ],
    ids=["nothing", "read-only-version", "read-only-active", "bad-schema", "bad-template"],
)
def test_a_bad_edit_is_refused_and_creates_no_version(api_client, headers_of, prompt, body, field):
    response = api_client.patch(f"{URL}/test.email", body, format="json", **headers_of("admin"))

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"
    if field:
        assert field in response.json()["error"]["details"]
    assert PromptTemplate.objects.filter(key="test.email").count() == 2


def test_activating_an_older_version_rolls_back(api_client, headers_of, prompt):
    response = api_client.post(
        f"{URL}/test.email/activate", {"version": 1}, format="json", **headers_of(Role.ADMIN)
    )

    assert response.status_code == 200, response.content
    assert response.json()["prompt_id"] == prompt.pk
    assert response.json()["previous_active_version"] == 2
    assert PromptTemplate.objects.get(key="test.email", is_active=True).version == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [({"version": 7}, 404), ({"version": 0}, 400), ({}, 400)],
    ids=["unknown-version", "zero", "missing"],
)
def test_activating_a_version_that_does_not_exist_is_refused(
    api_client, headers_of, prompt, body, status
):
    response = api_client.post(
        f"{URL}/test.email/activate", body, format="json", **headers_of(Role.ADMIN)
    )

    assert response.status_code == status
    assert PromptTemplate.objects.get(key="test.email", is_active=True).version == 2


@pytest.mark.parametrize("role", [Role.SALES, Role.SDR, Role.FINANCE, Role.VIEWER])
def test_only_admins_change_prompts(api_client, headers_of, prompt, role):
    headers = headers_of(role)

    edit = api_client.patch(f"{URL}/test.email", {"system_text": "x"}, format="json", **headers)
    activate = api_client.post(
        f"{URL}/test.email/activate", {"version": 1}, format="json", **headers
    )

    assert (edit.status_code, activate.status_code) == (403, 403)
    assert PromptTemplate.objects.get(key="test.email", is_active=True).version == 2


def test_another_tenants_prompts_are_its_own(tenant, api_client, headers_of, in_other_tenant):
    headers = headers_of(Role.ADMIN)
    with in_other_tenant():
        PromptTemplateFactory(key="other.only")
    connection.set_tenant(tenant)

    here = api_client.get(f"{URL}/other.only", **headers)
    elsewhere = APIClient(HTTP_HOST=OTHER_DOMAIN).get(f"{URL}/other.only", **headers)

    assert (here.status_code, elsewhere.status_code) == (404, 401)
