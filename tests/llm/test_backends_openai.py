"""The ``openai`` backend against a fake OpenAI-compatible server over real HTTP."""

from __future__ import annotations

import pytest

from revo.llm.backends import get_backend
from revo.llm.errors import (
    LLMModelNotFoundError,
    LLMRequestError,
    LLMResponseError,
    LLMServerError,
)
from tests.fakes.ollama import Reply, fake_vector, server_error
from tests.fakes.openai import (
    CHAT_PATH,
    EMBED_PATH,
    completion_reply,
    model_not_found,
    openai_error,
)

pytestmark = pytest.mark.usefixtures("openai_settings")


def test_chat_posts_a_strict_json_schema_and_asks_for_logprobs(
    fake_openai, chat_request, outreach_schema
):
    # given a request with Ollama-style options
    request = chat_request(
        options={"temperature": 0.2, "seed": 7, "num_predict": 256, "num_ctx": 8192}
    )

    # when
    get_backend().chat(request)

    # then the server got the OpenAI shape; num_ctx has no per-request field and is dropped
    assert fake_openai.bodies(CHAT_PATH) == [
        {
            "model": "qwen2.5:7b-instruct",
            "messages": [
                {"role": "system", "content": "You write short B2B emails as JSON."},
                {"role": "user", "content": "Write to Ana at Acme."},
            ],
            "stream": False,
            "temperature": 0.2,
            "seed": 7,
            "max_tokens": 256,
            "logprobs": True,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "sdr_outreach", "schema": outreach_schema, "strict": True},
            },
        }
    ]


def test_chat_reads_usage_finish_reason_and_mean_logprob(fake_openai, chat_request):
    fake_openai.queue_chat(
        completion_reply(
            {"subject": "Hi", "body": "..."},
            prompt_tokens=120,
            completion_tokens=30,
            logprobs=[-0.5, -0.1, -0.3],
            finish_reason="length",
        )
    )

    response = get_backend().chat(chat_request())

    assert response.content == '{"subject": "Hi", "body": "..."}'
    assert response.prompt_tokens == 120
    assert response.completion_tokens == 30
    assert response.done_reason == "length"
    assert response.mean_logprob == pytest.approx(-0.3)
    assert response.backend == "openai"
    assert response.endpoint == fake_openai.url
    assert response.total_duration_ms is None
    assert response.latency_ms > 0


def test_without_logprobs_from_the_server_mean_logprob_is_none(
    openai_settings, fake_openai, chat_request
):
    openai_settings.OPENAI_LOGPROBS = False

    response = get_backend().chat(chat_request(json_schema=None))

    body = fake_openai.bodies(CHAT_PATH)[0]
    assert "logprobs" not in body
    assert "response_format" not in body
    assert response.mean_logprob is None


def test_api_key_is_sent_as_a_bearer_token(openai_settings, fake_openai, chat_request):
    openai_settings.OPENAI_API_KEY = "sk-local-test"

    get_backend().chat(chat_request())

    assert fake_openai.recorded(CHAT_PATH)[0].headers["Authorization"] == "Bearer sk-local-test"


def test_base_url_without_v1_suffix_reaches_the_same_paths(
    openai_settings, fake_openai, chat_request
):
    openai_settings.OPENAI_BASE_URL = fake_openai.url

    get_backend().chat(chat_request())

    assert fake_openai.count(CHAT_PATH) == 1


@pytest.mark.parametrize(
    ("reply", "error_class", "in_message"),
    [
        (model_not_found("qwen2.5:7b-instruct"), LLMModelNotFoundError, "does not exist"),
        (openai_error(401, "Invalid API key"), LLMRequestError, "OPENAI_API_KEY"),
        (openai_error(400, "max_tokens is too large"), LLMRequestError, "max_tokens"),
        (Reply(body={"error": {"message": "engine overloaded"}}), LLMRequestError, "overloaded"),
        (Reply(body={"id": "x", "choices": []}), LLMResponseError, "message content"),
        (server_error(502, "bad gateway"), LLMServerError, "bad gateway"),
    ],
    ids=["404-model", "401-key", "400-request", "200-error-body", "200-no-choices", "502"],
)
def test_error_answers_map_to_typed_errors(
    openai_settings, fake_openai, chat_request, reply, error_class, in_message
):
    openai_settings.LLM_MAX_RETRIES = 0
    fake_openai.queue_chat(reply)

    with pytest.raises(error_class, match=in_message) as caught:
        get_backend().chat(chat_request())

    assert type(caught.value) is error_class
    assert caught.value.endpoint == fake_openai.url
    assert fake_openai.count() == 1


def test_embeddings_are_returned_in_input_order(fake_openai):
    # given a server that lists the vectors in reverse index order
    response = get_backend().embed(["alpha", "beta", "gamma"])

    assert fake_openai.bodies(EMBED_PATH) == [
        {"model": "nomic-embed-text", "input": ["alpha", "beta", "gamma"]}
    ]
    assert response.vectors == [fake_vector("alpha"), fake_vector("beta"), fake_vector("gamma")]
    assert response.backend == "openai"
    assert response.prompt_tokens == 12


def test_embeddings_without_data_are_a_response_error(fake_openai):
    fake_openai.queue_embed(Reply(body={"object": "list"}))

    with pytest.raises(LLMResponseError, match="without data"):
        get_backend().embed(["alpha"])
