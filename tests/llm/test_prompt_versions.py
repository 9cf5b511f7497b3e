"""Prompt versions: immutable, one active per key, rollback, shipped defaults seeded into
tenants without touching their edits."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from revo.llm.definitions import shipped_definition, shipped_definitions
from revo.llm.generate import generate
from revo.llm.models import PromptSource, PromptTemplate
from revo.llm.services import (
    prompt_activate,
    prompt_version_create,
    prompt_version_revise,
    prompts_seed,
)
from tests.llm.doubles import ScriptedBackend
from tests.llm.factories import GOOD_EMAIL, PromptTemplateFactory, email_context

SHIPPED_KEYS = {
    "sdr.score_lead",
    "sdr.outreach_first_touch",
    "sdr.outreach_follow_up",
    "sdr.classify_reply",
    "sales.qualify_lead",
    "sales.proposal",
    "negotiation.contract_draft",
    "negotiation.counter_proposal",
    "finance.dunning_notice",
}


def test_every_agent_task_ships_a_prompt_with_an_example_context():
    definitions = {definition.key: definition for definition in shipped_definitions()}

    assert set(definitions) >= SHIPPED_KEYS
    assert all(definition.example_context for definition in definitions.values())


def test_a_provisioned_tenant_has_every_shipped_prompt_active(tenant):
    active = PromptTemplate.objects.filter(is_active=True, source=PromptSource.SHIPPED)

    assert set(active.values_list("key", flat=True)) >= SHIPPED_KEYS
    first = active.get(key="sdr.classify_reply")
    assert first.version == 1
    assert first.sha256 == shipped_definition("sdr.classify_reply").sha256


def test_first_version_of_a_key_is_active_and_later_ones_only_when_asked(tenant):
    first = PromptTemplateFactory(key="t.k", activate=False)
    second = PromptTemplateFactory(key="t.k", system_text="Changed.", activate=False)

    first.refresh_from_db()
    assert (first.version, first.is_active) == (1, True)
    assert (second.version, second.is_active) == (2, False)


def test_tenant_edit_creates_a_new_active_version_and_rollback_restores_the_old(tenant, settings):
    # given the shipped outreach prompt
    original = PromptTemplate.objects.get(key="sdr.outreach_first_touch", is_active=True)

    # when a tenant edits it
    edited = prompt_version_revise(
        base=original, changes={"system_text": "Write very short emails."}, note="shorter"
    )

    # then a new version is active and the original is untouched
    original.refresh_from_db()
    assert edited.version == original.version + 1
    assert edited.is_active
    assert edited.source == PromptSource.USER
    assert not original.is_active
    assert original.system_text != "Write very short emails."
    assert edited.sha256 != original.sha256

    # and generate uses the edit, until the rollback
    backend = ScriptedBackend([{"subject": "Hi Jana", "body": "Hi Jana, a short call?"}])
    context = shipped_definition("sdr.outreach_first_touch").example_context
    assert generate(edited.key, context, backend=backend).prompt_version == edited.version
    rolled_back = prompt_activate(prompt=original)
    assert rolled_back.is_active
    assert generate(edited.key, context, backend=backend).prompt_version == original.version
    assert PromptTemplate.objects.filter(key=edited.key, is_active=True).count() == 1


def test_versions_cannot_be_changed_in_place_even_by_a_raw_update(tenant):
    prompt = PromptTemplateFactory()

    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        PromptTemplate.objects.filter(pk=prompt.pk).update(system_text="sneaky edit")

    prompt.refresh_from_db()
    assert prompt.system_text == "You write short sales emails."


def test_database_allows_only_one_active_version_per_key(tenant):
    PromptTemplateFactory(key="t.one")
    second = PromptTemplateFactory(key="t.one", system_text="v2", activate=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        PromptTemplate.objects.filter(pk=second.pk).update(is_active=True)


def test_database_refuses_a_duplicate_key_and_version(tenant):
    prompt = PromptTemplateFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        PromptTemplate.objects.create(
            key=prompt.key,
            version=prompt.version,
            system_text="x",
            user_template="x",
            output_schema={"type": "object"},
            source=PromptSource.USER,
            sha256="0" * 64,
        )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"output_schema": {"type": "array"}}, "output_schema", id="schema-not-object"),
        pytest.param(
            {"output_schema": {"type": "object", "required": 3}}, "output_schema", id="bad-schema"
        ),
        pytest.param({"user_template": "{% if %}"}, "user_template", id="template-syntax"),
        pytest.param({"inputs": [{"name": "a b"}]}, "inputs", id="input-name"),
        pytest.param({"inputs": [{"name": "a"}, {"name": "a"}]}, "inputs", id="input-twice"),
        pytest.param({"validators": {"nonsense": 1}}, "validators", id="validator-key"),
        pytest.param({"fallback_template": {"s": "{% if %}"}}, "fallback_template", id="fallback"),
        pytest.param({"system_text": "  "}, "system_text", id="empty-system"),
    ],
)
def test_invalid_definition_is_refused_and_nothing_is_written(tenant, overrides, field):
    before = PromptTemplate.objects.count()

    with pytest.raises(ValidationError) as raised:
        PromptTemplateFactory(**overrides)

    assert field in raised.value.message_dict
    assert PromptTemplate.objects.count() == before


def test_seeding_again_changes_nothing(tenant):
    report = prompts_seed()

    assert set(report.unchanged) >= SHIPPED_KEYS
    assert report.created == []
    assert report.updated == []


def _ship_changed_file(monkeypatch, key: str, system_text: str) -> None:
    from dataclasses import replace

    import revo.llm.services as services

    changed = tuple(
        replace(item, system_text=system_text) if item.key == key else item
        for item in shipped_definitions()
    )
    monkeypatch.setattr(services, "shipped_definitions", lambda: changed)


def test_changed_shipped_file_becomes_a_new_active_version_when_the_tenant_never_edited(
    tenant, monkeypatch
):
    _ship_changed_file(monkeypatch, "sdr.score_lead", "An improved scoring prompt.")

    report = prompts_seed()

    assert report.updated == ["sdr.score_lead"]
    active = PromptTemplate.objects.get(key="sdr.score_lead", is_active=True)
    assert (active.version, active.source) == (2, PromptSource.SHIPPED)
    assert active.system_text == "An improved scoring prompt."


def test_changed_shipped_file_never_touches_a_key_the_tenant_edited(tenant, monkeypatch):
    shipped = PromptTemplate.objects.get(key="sdr.score_lead", is_active=True)
    edit = prompt_version_revise(base=shipped, changes={"system_text": "Our own scoring."})
    prompt_activate(prompt=shipped)  # even rolled back to the shipped one
    _ship_changed_file(monkeypatch, "sdr.score_lead", "An improved scoring prompt.")

    report = prompts_seed()

    assert report.kept_tenant_edits == ["sdr.score_lead"]
    assert PromptTemplate.objects.filter(key="sdr.score_lead").count() == 2
    edit.refresh_from_db()
    assert edit.system_text == "Our own scoring."


def test_changed_shipped_file_stays_inactive_when_the_tenant_rolled_back(tenant, monkeypatch):
    _ship_changed_file(monkeypatch, "sdr.score_lead", "Second default.")
    prompts_seed()
    prompt_activate(prompt=PromptTemplate.objects.get(key="sdr.score_lead", version=1))
    _ship_changed_file(monkeypatch, "sdr.score_lead", "Third default.")

    prompts_seed()

    active = PromptTemplate.objects.get(key="sdr.score_lead", is_active=True)
    assert active.version == 1
    assert PromptTemplate.objects.get(key="sdr.score_lead", version=3).is_active is False


def test_seed_command_seeds_one_tenant_and_reports(tenant):
    PromptTemplate.objects.filter(key="sdr.score_lead").delete()
    out = StringIO()

    call_command("seed_prompts", "--tenant", tenant.slug, stdout=out)

    assert "test: 1 created" in out.getvalue()
    assert PromptTemplate.objects.get(key="sdr.score_lead").is_active


def test_seed_command_refuses_an_unknown_tenant(tenant):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no tenant"):
        call_command("seed_prompts", "--tenant", "nope")


def test_generate_uses_the_active_version_only(tenant):
    first = PromptTemplateFactory(key="t.gen")
    second = prompt_version_create(
        key="t.gen",
        system_text="v2",
        user_template=first.user_template,
        output_schema=first.output_schema,
        inputs=first.inputs,
        activate=True,
    )

    result = generate("t.gen", email_context(), backend=ScriptedBackend([GOOD_EMAIL]))

    assert result.prompt_version == second.version
    assert result.prompt_sha256 == second.sha256


def test_a_run_reads_its_prompt_version_once_and_the_next_run_sees_an_activation(tenant):
    # given the shipped outreach prompt and an edit of it, the original active again
    original = PromptTemplate.objects.get(key="sdr.outreach_first_touch", is_active=True)
    edited = prompt_version_revise(base=original, changes={"system_text": "Be brief."}, note="")
    prompt_activate(prompt=original)
    context = shipped_definition("sdr.outreach_first_touch").example_context
    answer = {"subject": "Hi Jana", "body": "Hi Jana, a short call?"}
    backend = ScriptedBackend([answer] * 4)
    run, next_run = uuid.uuid4(), uuid.uuid4()

    # when a run calls twice with the edit activated in between, then a new run calls
    first = generate(original.key, context, backend=backend, run_id=run)
    prompt_activate(prompt=edited)
    with CaptureQueriesContext(connection) as queries:
        again = generate(original.key, context, backend=backend, run_id=run)
    later = generate(original.key, context, backend=backend, run_id=next_run)
    unscoped = generate(original.key, context, backend=backend)

    # then the run keeps the version it started with, without reading it again,
    # and the next run (and a call outside any run) uses the activated one
    assert (first.prompt_version, again.prompt_version) == (original.version, original.version)
    assert not [q for q in queries.captured_queries if "llm_prompttemplate" in q["sql"]]
    assert later.prompt_version == edited.version
    assert unscoped.prompt_version == edited.version
