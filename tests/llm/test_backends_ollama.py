"""The ``ollama`` backend against the fake Ollama server over real HTTP."""

from __future__ import annotations

import pytest

from revo.llm.backends import get_backend
from revo.llm.errors import (
    LLMModelNotFoundError,
    LLMRateLimitedError,
    LLMRequestError,
    LLMResponseError,
    LLMServerError,
)
from tests.fakes.ollama import (
    Reply,
    chat_reply,
    embed_reply,
    error_body,
    fake_vector,
    model_not_found,
    rate_limited,
    server_error,
)

pytestmark = pytest.mark.usefixtures("ollama_settings")


def test_chat_posts_messages_schema_options_keep_alive_without_streaming(
    fake_ollama, chat_request, outreach_schema
):
    # given a request with a schema and sampling options
    request = chat_request(options={"temperature": 0.2, "seed": 7, "num_predict": 256})

    # when the backend sends it
    get_backend().chat(request)

    # then Ollama received exactly the documented body
    assert fake_ollama.bodies("/api/chat") == [
        {
            "model": "qwen2.5:7b-instruct",
            "messages": [
                {"role": "system", "content": "You write short B2B emails as JSON."},
                {"role": "user", "content": "Write to Ana at Acme."},
            ],
            "stream": False,
            "keep_alive": "30m",
            "options": {"num_ctx": 8192, "temperature": 0.2, "seed": 7, "num_predict": 256},
            "format": outreach_schema,
        }
    ]


def test_chat_request_options_and_model_override_the_settings(fake_ollama, chat_request):
    get_backend().chat(chat_request(model="llama3.1:8b", options={"num_ctx": 2048}))

    body = fake_ollama.bodies("/api/chat")[0]
    assert body["model"] == "llama3.1:8b"
    assert body["options"] == {"num_ctx": 2048}


def test_chat_without_schema_sends_no_format(fake_ollama, chat_request):
    get_backend().chat(chat_request(json_schema=None))

    assert "format" not in fake_ollama.bodies("/api/chat")[0]


@pytest.mark.parametrize(
    ("setting", "sent"),
    [("30m", "30m"), ("-1", -1), ("300", 300)],
    ids=["duration-string", "forever", "seconds"],
)
def test_keep_alive_is_sent_as_ollama_reads_it(
    ollama_settings, fake_ollama, chat_request, setting, sent
):
    ollama_settings.LLM_KEEP_ALIVE = setting

    get_backend().chat(chat_request())

    assert fake_ollama.bodies("/api/chat")[0]["keep_alive"] == sent


def test_chat_reads_content_tokens_duration_and_done_reason(fake_ollama, chat_request):
    # given a scripted answer with counters
    fake_ollama.queue_chat(
        chat_reply(
            {"subject": "Hi Ana", "body": "..."},
            prompt_tokens=321,
            completion_tokens=54,
            total_duration_ns=2_500_000_000,
            done_reason="length",
        )
    )

    # when
    response = get_backend().chat(chat_request())

    # then
    assert response.content == '{"subject": "Hi Ana", "body": "..."}'
    assert response.prompt_tokens == 321
    assert response.completion_tokens == 54
    assert response.total_duration_ms == 2500.0
    assert response.done_reason == "length"
    assert response.backend == "ollama"
    assert response.model == "qwen2.5:7b-instruct"
    assert response.endpoint == fake_ollama.url
    assert response.latency_ms > 0
    assert response.mean_logprob is None


def test_model_not_pulled_is_a_clear_terminal_error(ollama_settings, fake_ollama, chat_request):
    fake_ollama.queue_chat(model_not_found("qwen2.5:7b-instruct"))

    with pytest.raises(LLMModelNotFoundError) as caught:
        get_backend().chat(chat_request())

    assert str(caught.value).startswith(
        f"model qwen2.5:7b-instruct is not pulled on {fake_ollama.url}"
    )
    assert caught.value.retryable is False
    assert caught.value.status == 404
    assert fake_ollama.count() == 1


@pytest.mark.parametrize(
    ("reply", "error_class", "status", "in_message"),
    [
        (error_body("model is loading"), LLMRequestError, 200, "model is loading"),
        (error_body('model "phi3" not found'), LLMModelNotFoundError, 200, "phi3 is not pulled"),
        (
            Reply(status=400, body={"error": "invalid format schema"}),
            LLMRequestError,
            400,
            "invalid format schema",
        ),
        (Reply(status=404, body="404 page not found"), LLMRequestError, 404, "Ollama server"),
        (Reply(body={"done": True}), LLMResponseError, 200, "message.content"),
        (Reply(body="<html>proxy</html>"), LLMResponseError, 200, "not a JSON object"),
        (server_error(500, "out of memory"), LLMServerError, 500, "out of memory"),
        (rate_limited(), LLMRateLimitedError, 429, "rate limiting"),
    ],
    ids=[
        "200-error-body",
        "200-model-not-found",
        "400-bad-request",
        "404-not-ollama",
        "200-without-message",
        "200-not-json",
        "500-server-error",
        "429-rate-limited",
    ],
)
def test_error_answers_map_to_typed_errors(
    ollama_settings, fake_ollama, chat_request, reply, error_class, status, in_message
):
    # given no retries, so each scripted answer is the final one
    ollama_settings.LLM_MAX_RETRIES = 0
    fake_ollama.queue_chat(reply)

    with pytest.raises(error_class) as caught:
        get_backend().chat(chat_request())

    assert type(caught.value) is error_class
    assert in_message in str(caught.value)
    assert caught.value.status == status
    assert caught.value.endpoint == fake_ollama.url


def test_embed_posts_a_list_input_and_reads_vectors(fake_ollama):
    response = get_backend().embed(["first text", "second text"])

    assert fake_ollama.bodies("/api/embed") == [
        {"model": "nomic-embed-text", "input": ["first text", "second text"], "keep_alive": "30m"}
    ]
    assert response.vectors == [fake_vector("first text"), fake_vector("second text")]
    assert response.model == "nomic-embed-text"
    assert response.backend == "ollama"
    assert response.endpoint == fake_ollama.url
    assert response.prompt_tokens == 6


def test_embed_uses_the_model_asked_for(fake_ollama):
    get_backend().embed(["x"], model="mxbai-embed-large")

    assert fake_ollama.bodies("/api/embed")[0]["model"] == "mxbai-embed-large"


def test_embed_of_nothing_sends_nothing(fake_ollama):
    assert get_backend().embed([]).vectors == []
    assert fake_ollama.count() == 0


@pytest.mark.parametrize(
    "reply",
    [
        embed_reply([[0.1, 0.2]]),
        embed_reply([[0.1, 0.2], [0.3]]),
        embed_reply([[0.1, "x"], [0.3, 0.4]]),
        Reply(body={"model": "nomic-embed-text"}),
    ],
    ids=["too-few-vectors", "mixed-dimensions", "not-numbers", "no-embeddings"],
)
def test_malformed_embeddings_are_a_response_error(fake_ollama, reply):
    fake_ollama.queue_embed(reply)

    with pytest.raises(LLMResponseError):
        get_backend().embed(["a", "b"])


def test_embed_of_a_missing_model_is_model_not_found(fake_ollama):
    fake_ollama.queue_embed(model_not_found("nomic-embed-text"))

    with pytest.raises(LLMModelNotFoundError, match="nomic-embed-text is not pulled"):
        get_backend().embed(["a"])
