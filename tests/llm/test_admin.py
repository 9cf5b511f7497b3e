"""Admin: prompt versions (list, view, new version, activate, diff), call log, rules."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from revo.accounts.roles import Role
from revo.llm.models import AutoApprovalRule, LLMCall, PromptTemplate
from revo.llm.services import prompt_version_revise
from tests.factories import UserFactory


@pytest.fixture
def admin_client(tenant, tenant_client):  # noqa: ANN201
    tenant_client.force_login(UserFactory(role=Role.ADMIN))
    return tenant_client


@pytest.fixture
def shipped(tenant) -> PromptTemplate:
    return PromptTemplate.objects.get(key="sdr.score_lead", is_active=True)


def _form_data(prompt: PromptTemplate, **overrides: object) -> dict[str, str]:
    data = {
        "key": prompt.key,
        "system_text": prompt.system_text,
        "user_template": prompt.user_template,
        "model": prompt.model,
        "note": "edited in admin",
        "activate": "on",
    }
    for name in ("output_schema", "inputs", "options", "fallback_template", "validators"):
        data[name] = json.dumps(getattr(prompt, name))
    data.update({key: str(value) for key, value in overrides.items()})
    return data


def test_changelist_filters_by_key_and_active(admin_client, shipped):
    prompt_version_revise(base=shipped, changes={"system_text": "Edited."})
    url = reverse("admin:llm_prompttemplate_changelist")

    response = admin_client.get(url, {"key": "sdr.score_lead", "is_active__exact": "0"})

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [(row.key, row.version) for row in rows] == [("sdr.score_lead", 1)]
    assert b"v1 \xe2\x86\x92 v2" in admin_client.get(url, {"key": "sdr.score_lead"}).content


def test_change_view_is_read_only_with_a_new_version_link(admin_client, shipped):
    url = reverse("admin:llm_prompttemplate_change", args=[shipped.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert f"?copy_from={shipped.pk}".encode() in response.content
    assert b'name="_save"' not in response.content
    assert admin_client.post(url, _form_data(shipped, system_text="x")).status_code == 403
    shipped.refresh_from_db()
    assert shipped.system_text != "x"


def test_save_as_new_version_creates_an_active_version_and_keeps_the_old(admin_client, shipped):
    add_url = reverse("admin:llm_prompttemplate_add")
    prefilled = admin_client.get(add_url, {"copy_from": shipped.pk})
    assert prefilled.context["adminform"].form.initial["system_text"] == shipped.system_text

    response = admin_client.post(add_url, _form_data(shipped, system_text="Score strictly."))

    assert response.status_code == 302
    new = PromptTemplate.objects.get(key=shipped.key, is_active=True)
    assert (new.version, new.system_text, new.source) == (2, "Score strictly.", "user")
    assert new.author is not None
    shipped.refresh_from_db()
    assert shipped.is_active is False
    assert shipped.system_text != "Score strictly."


def test_invalid_new_version_shows_errors_and_writes_nothing(admin_client, shipped):
    data = _form_data(shipped, user_template="{% if %}", output_schema='{"type": "array"}')

    response = admin_client.post(reverse("admin:llm_prompttemplate_add"), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "user_template" in errors
    assert "output_schema" in errors
    assert PromptTemplate.objects.filter(key=shipped.key).count() == 1


def test_activate_action_rolls_back(admin_client, shipped):
    prompt_version_revise(base=shipped, changes={"system_text": "Edited."})

    response = admin_client.post(
        reverse("admin:llm_prompttemplate_changelist"),
        {"action": "activate_version", "_selected_action": [shipped.pk]},
    )

    assert response.status_code == 302
    shipped.refresh_from_db()
    assert shipped.is_active


def test_diff_action_redirects_to_a_diff_of_the_two_versions(admin_client, shipped):
    edited = prompt_version_revise(base=shipped, changes={"system_text": "Score strictly."})

    response = admin_client.post(
        reverse("admin:llm_prompttemplate_changelist"),
        {"action": "diff_selected", "_selected_action": [edited.pk, shipped.pk]},
    )

    diff_url = reverse("admin:llm_prompttemplate_diff", args=[shipped.pk, edited.pk])
    assert response.status_code == 302
    assert response["Location"] == diff_url
    page = admin_client.get(diff_url)
    assert page.status_code == 200
    sections = {section["field"]: section for section in page.context["sections"]}
    assert sections["system_text"]["changed"]
    assert not sections["user_template"]["changed"]
    assert {"css": "add", "text": "+Score strictly."} in sections["system_text"]["lines"]


def test_diff_needs_exactly_two_versions(admin_client, shipped):
    response = admin_client.post(
        reverse("admin:llm_prompttemplate_changelist"),
        {"action": "diff_selected", "_selected_action": [shipped.pk]},
        follow=True,
    )

    assert b"Select exactly two versions" in response.content


def test_a_reader_can_view_a_diff_but_cannot_add_versions(tenant, tenant_client, shipped):
    tenant_client.force_login(UserFactory(role=Role.SDR))
    diff_url = reverse("admin:llm_prompttemplate_diff", args=[shipped.pk, shipped.pk])

    assert tenant_client.get(diff_url).status_code == 200  # sdr may view llm objects
    assert tenant_client.post(reverse("admin:llm_prompttemplate_add"), {}).status_code == 403


def test_call_log_labels_the_template_backend_and_filters(admin_client):
    LLMCall.objects.create(prompt_key="a", prompt_version=1, backend="template", status="ok")
    LLMCall.objects.create(prompt_key="b", prompt_version=1, backend="ollama", status="error")
    url = reverse("admin:llm_llmcall_changelist")

    everything = admin_client.get(url)
    errors = admin_client.get(url, {"status__exact": "error"})

    assert b"TEMPLATE (no model)" in everything.content
    assert [call.prompt_key for call in errors.context["cl"].result_list] == ["b"]
    assert admin_client.get(url, {"backend__exact": "template"}).context["cl"].result_count == 1


def test_rules_are_saved_through_the_service_and_contracts_refused(admin_client):
    url = reverse("admin:llm_autoapprovalrule_add")
    rule = {
        "action_type": "dunning.level_1",
        "enabled": "on",
        "min_confidence": "0.8",
        "max_amount": "500",
        "currency": "EUR",
        "sample_rate": "0.1",
    }

    assert admin_client.post(url, rule).status_code == 302
    refused = admin_client.post(url, {**rule, "action_type": "contract.draft"})

    assert refused.status_code == 200
    assert list(AutoApprovalRule.objects.values_list("action_type", flat=True)) == [
        "dunning.level_1"
    ]


def test_a_brand_new_key_without_inputs_can_be_created(admin_client, shipped):
    data = _form_data(shipped, key="custom.tagline", inputs="[]", user_template="Write a tagline.")

    response = admin_client.post(reverse("admin:llm_prompttemplate_add"), data)

    assert response.status_code == 302
    created = PromptTemplate.objects.get(key="custom.tagline")
    assert (created.version, created.is_active, created.inputs) == (1, True, [])


def test_call_stats_page_lists_each_prompt_version(admin_client):
    LLMCall.objects.create(
        prompt_key="sdr.score_lead", prompt_version=3, backend="ollama", status="ok"
    )
    changelist = admin_client.get(reverse("admin:llm_llmcall_changelist"))

    response = admin_client.get(reverse("admin:llm_llmcall_stats"))

    assert reverse("admin:llm_llmcall_stats").encode() in changelist.content
    assert response.status_code == 200
    assert [(row["prompt_key"], row["calls"]) for row in response.context["rows"]] == [
        ("sdr.score_lead", 1)
    ]
