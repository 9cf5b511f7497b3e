"""The ``template`` backend: deterministic, offline, labelled ``template``."""

from __future__ import annotations

import json
import math

import pytest
from pytest_django import Settings

from revo.llm.backends import Backend, get_backend
from revo.llm.backends.template import EMBED_DIMENSIONS
from revo.llm.errors import LLMResponseError, PromptError

OUTREACH_TEMPLATE = """{
  "subject": "Quick question for {{ lead.company|escapejs }}",
  "body": "Hi {{ lead.first_name|escapejs }},{% if lead.industry %} as a {{ lead.industry|escapejs }} team{% endif %} you may like this.",
  "tags": {{ tags|json }}
}"""  # noqa: E501


@pytest.fixture
def backend(settings: Settings) -> Backend:
    settings.LLM_BACKEND = "template"
    return get_backend()


@pytest.fixture
def lead_context() -> dict:
    return {
        "lead": {"first_name": "Ana", "company": "Acme", "industry": "logistics"},
        "tags": ["intro", "q1"],
    }


def test_renders_django_template_syntax_to_json(backend, chat_request, lead_context):
    # when
    response = backend.chat(chat_request(fallback_template=OUTREACH_TEMPLATE, context=lead_context))

    # then
    assert json.loads(response.content) == {
        "subject": "Quick question for Acme",
        "body": "Hi Ana, as a logistics team you may like this.",
        "tags": ["intro", "q1"],
    }
    assert response.model == "template"
    assert response.backend == "template"
    assert response.endpoint == "template://local"
    assert response.latency_ms >= 0
    assert response.prompt_tokens is None


def test_same_request_renders_the_same_text(backend, chat_request, lead_context):
    request = chat_request(fallback_template=OUTREACH_TEMPLATE, context=lead_context)

    assert backend.chat(request).content == backend.chat(request).content


def test_values_with_quotes_and_newlines_keep_the_json_valid(backend, chat_request):
    context = {
        "lead": {"first_name": 'Ana "Nana"\nO\'Brien\\', "company": "<Acme & Co>"},
        "tags": ['a"b'],
    }

    response = backend.chat(chat_request(fallback_template=OUTREACH_TEMPLATE, context=context))

    parsed = json.loads(response.content)
    assert parsed["body"].startswith('Hi Ana "Nana"\nO\'Brien\\,')
    assert parsed["subject"] == "Quick question for <Acme & Co>"
    assert parsed["tags"] == ['a"b']


def test_text_that_is_not_json_fails_when_a_schema_is_expected(backend, chat_request):
    request = chat_request(fallback_template='{"subject": "{{ s }}"}', context={"s": 'say "hi"'})

    with pytest.raises(LLMResponseError, match="did not render to JSON"):
        backend.chat(request)


def test_plain_text_is_returned_when_no_schema_is_expected(backend, chat_request):
    request = chat_request(
        json_schema=None, fallback_template="Hello {{ name }}!", context={"name": "Ana"}
    )

    assert backend.chat(request).content == "Hello Ana!"


@pytest.mark.parametrize(
    ("template", "message"),
    [("", "no fallback template"), ("{% if %}", "is invalid")],
    ids=["empty", "syntax-error"],
)
def test_unusable_fallback_template_is_a_prompt_error(backend, chat_request, template, message):
    with pytest.raises(PromptError, match=message):
        backend.chat(chat_request(fallback_template=template))


def test_embeddings_are_deterministic_unit_vectors(backend):
    first = backend.embed(["Acme ships pallets across Europe", ""])
    second = backend.embed(["Acme ships pallets across Europe", ""])

    assert first.vectors == second.vectors
    assert [len(vector) for vector in first.vectors] == [EMBED_DIMENSIONS, EMBED_DIMENSIONS]
    for vector in first.vectors:
        assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0)
    assert (first.model, first.backend, first.endpoint) == (
        "template",
        "template",
        "template://local",
    )


def test_embeddings_of_texts_sharing_words_are_closer(backend):
    query, related, unrelated = backend.embed(
        [
            "invoice payment terms net 30",
            "payment terms for the invoice are net 30 days",
            "our warehouse robots sort parcels overnight",
        ]
    ).vectors

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(query, related) > 0.5
    assert cosine(query, related) > cosine(query, unrelated) + 0.3
