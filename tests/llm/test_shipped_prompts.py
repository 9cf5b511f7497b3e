"""Every shipped prompt works offline: the template backend turns its example context into
a draft that passes the schema and every validator."""

from __future__ import annotations

import pytest

from revo.llm.backends import get_backend
from revo.llm.definitions import shipped_definitions
from revo.llm.generate import generate
from revo.llm.models import LLMCall

KEYS = [definition.key for definition in shipped_definitions()]
DEFINITIONS = {definition.key: definition for definition in shipped_definitions()}


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_template_backend_drafts_a_valid_answer_from_the_example_context(tenant, key):
    definition = DEFINITIONS[key]

    result = generate(key, definition.example_context, backend=get_backend("template"))

    assert result.status == "ok", [str(finding) for finding in result.findings]
    assert result.findings == ()
    assert result.attempts == 1
    assert result.backend == "template"
    assert LLMCall.objects.get(pk=result.llm_call_id).backend == "template"


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_every_declared_input_is_in_the_example_context(key):
    definition = DEFINITIONS[key]

    missing = [
        spec.name for spec in definition.input_specs if spec.name not in definition.example_context
    ]

    assert missing == []


@pytest.mark.parametrize(
    ("level", "tone", "subject_start"),
    [
        (1, "friendly", "Friendly reminder"),
        (2, "firm", "Second notice"),
        (3, "final", "Final notice"),
    ],
    ids=["level-1", "level-2", "level-3"],
)
def test_dunning_fallback_follows_level_and_tone(tenant, level, tone, subject_start):
    context = {
        **DEFINITIONS["finance.dunning_notice"].example_context,
        "level": level,
        "tone": tone,
    }

    result = generate("finance.dunning_notice", context, backend=get_backend("template"))

    assert result.ok
    assert result.data["subject"].startswith(subject_start)
    assert result.data["tone"] == tone


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Please unsubscribe me from this list.", "unsubscribe"),
        ("I am out of office until Monday.", "out_of_office"),
        ("Delivery failed: mailbox unavailable (undeliverable)", "bounce"),
        ("We are not interested, thanks.", "not_interested"),
        ("Sounds interesting - we are interested!", "interested"),
        ("How does pricing work?", "question"),
    ],
    ids=["unsubscribe", "ooo", "bounce", "not-interested", "interested", "question"],
)
def test_classify_reply_fallback_uses_keyword_rules(tenant, reply, expected):
    context = {**DEFINITIONS["sdr.classify_reply"].example_context, "reply_body": reply}

    result = generate("sdr.classify_reply", context, backend=get_backend("template"))

    assert result.ok
    assert result.data["classification"] == expected


def test_classify_reply_schema_requires_a_date_for_not_now(tenant):
    from tests.llm.doubles import ScriptedBackend

    context = DEFINITIONS["sdr.classify_reply"].example_context
    no_date = {"classification": "not_now", "summary": "Later.", "not_before": None}
    dated = {**no_date, "not_before": "2027-02-01"}

    result = generate("sdr.classify_reply", context, backend=ScriptedBackend([no_date, dated]))

    assert result.ok
    assert result.attempts == 2
    assert result.data["not_before"] == "2027-02-01"
