"""generate() end to end over real HTTP to the fake Ollama server, and with the
template backend chosen by settings."""

from __future__ import annotations

import pytest

from revo.llm.errors import LLMModelNotFoundError, LLMServerError
from revo.llm.generate import generate
from revo.llm.models import LLMCall, PromptTemplate
from tests.fakes.ollama import chat_reply, invalid_json_reply, model_not_found, server_error
from tests.llm.factories import GOOD_EMAIL, PromptTemplateFactory, email_context


@pytest.fixture
def prompt(tenant) -> PromptTemplate:
    return PromptTemplateFactory(options={"temperature": 0.3})


def test_ok_answer_over_http_is_parsed_and_logged_with_tokens(prompt, ollama_settings, fake_ollama):
    fake_ollama.queue_chat(chat_reply(GOOD_EMAIL, prompt_tokens=42, completion_tokens=17))

    result = generate(prompt.key, email_context(), agent="sdr")

    assert result.ok
    assert result.data == GOOD_EMAIL
    assert result.backend == "ollama"
    assert (result.tokens_in, result.tokens_out) == (42, 17)
    body = fake_ollama.bodies("/api/chat")[0]
    assert body["format"] == prompt.output_schema
    assert body["options"]["temperature"] == 0.3
    assert "<<<UNTRUSTED DATA: notes" in body["messages"][1]["content"]
    call = LLMCall.objects.get(pk=result.llm_call_id)
    assert call.endpoint.startswith(fake_ollama.url)
    assert call.status == "ok"


def test_invalid_json_is_reasked_over_http_then_accepted(prompt, ollama_settings, fake_ollama):
    fake_ollama.queue_chat(invalid_json_reply(), chat_reply(GOOD_EMAIL))

    result = generate(prompt.key, email_context())

    assert result.ok
    assert result.attempts == 2
    second = fake_ollama.bodies("/api/chat")[1]["messages"]
    assert [message["role"] for message in second] == ["system", "user", "assistant", "user"]
    assert result.tokens_in == 42 * 2


def test_output_invalid_three_times_over_http_is_invalid(prompt, ollama_settings, fake_ollama):
    leaked = {"subject": "Hi", "body": "Write to boss@elsewhere.example"}
    fake_ollama.queue_chat(chat_reply(leaked), chat_reply(leaked), chat_reply(leaked))

    result = generate(prompt.key, email_context())

    assert result.status == "invalid"
    assert result.data is None
    assert fake_ollama.count("/api/chat") == 3


def test_server_errors_surface_as_retryable_and_are_logged(prompt, ollama_settings, fake_ollama):
    fake_ollama.queue_chat(server_error(), server_error(), server_error())

    with pytest.raises(LLMServerError) as raised:
        generate(prompt.key, email_context())

    assert raised.value.retryable
    call = LLMCall.objects.get()
    assert call.status == "error"
    assert call.backend == "ollama"


def test_model_not_found_is_terminal_and_logged(prompt, ollama_settings, fake_ollama):
    fake_ollama.queue_chat(model_not_found())

    with pytest.raises(LLMModelNotFoundError):
        generate(prompt.key, email_context())

    assert LLMCall.objects.get().error.startswith("LLMModelNotFoundError")


def test_template_backend_from_settings_is_labelled_template(prompt, settings):
    settings.LLM_BACKEND = "template"

    result = generate(prompt.key, email_context(lead={"first_name": 'Ana "A"', "company": "X"}))

    assert result.ok
    assert result.data["subject"] == 'Hello Ana "A"'
    assert result.is_template
    assert LLMCall.objects.get(pk=result.llm_call_id).backend == "template"
