"""The shared HTTP layer over real loopback HTTP: retries, backoff, timeouts, failover,
circuit breaking and the per-URL concurrency limit."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from revo.llm.backends import get_backend
from revo.llm.errors import (
    LLMCircuitOpenError,
    LLMConnectionError,
    LLMModelNotFoundError,
    LLMRateLimitedError,
    LLMRequestError,
    LLMServerError,
    LLMTimeoutError,
)
from tests.fakes.ollama import (
    Reply,
    closed_port_url,
    fake_ollama_server,
    model_not_found,
    rate_limited,
    server_error,
    slow,
)
from tests.fakes.openai import CHAT_PATH, openai_error


@pytest.mark.parametrize(
    "failure",
    [server_error(500), server_error(503), rate_limited(), slow(1.0)],
    ids=["500", "503", "429", "read-timeout"],
)
def test_retryable_failures_are_retried_until_success(
    ollama_settings, fake_ollama, chat_request, failure
):
    # given two failures, then the default valid answer
    fake_ollama.queue_chat(failure, failure)

    # when
    response = get_backend().chat(chat_request())

    # then the third attempt answered
    assert response.content == '{"ok": true}'
    assert fake_ollama.count("/api/chat") == 3


def test_the_openai_backend_retries_through_the_same_layer(
    openai_settings, fake_openai, chat_request
):
    fake_openai.queue_chat(server_error(500))

    response = get_backend().chat(chat_request())

    assert response.backend == "openai"
    assert fake_openai.count(CHAT_PATH) == 2


@pytest.mark.parametrize(
    ("reply", "error_class"),
    [
        (Reply(status=400, body={"error": "bad request"}), LLMRequestError),
        (Reply(status=401, body={"error": "unauthorized"}), LLMRequestError),
        (model_not_found(), LLMModelNotFoundError),
        (Reply(status=422, body={"error": "unprocessable"}), LLMRequestError),
    ],
    ids=["400", "401", "404-model", "422"],
)
def test_client_errors_are_never_retried_nor_failed_over(
    ollama_settings, fake_ollama, chat_request, reply, error_class
):
    # given a second healthy server behind the first
    with fake_ollama_server() as second:
        ollama_settings.OLLAMA_URL = f"{fake_ollama.url},{second.url}"
        fake_ollama.queue_chat(reply)

        with pytest.raises(error_class):
            get_backend().chat(chat_request())

        # then exactly one request went out, to the first server
        assert fake_ollama.count() == 1
        assert second.count() == 0


def test_openai_client_error_is_not_retried(openai_settings, fake_openai, chat_request):
    fake_openai.queue_chat(openai_error(400, "bad schema"))

    with pytest.raises(LLMRequestError):
        get_backend().chat(chat_request())

    assert fake_openai.count() == 1


def test_backoff_waits_at_least_the_retry_after_the_server_asks_for(
    ollama_settings, fake_ollama, chat_request
):
    # given a 429 asking for one second, and a backoff that alone would wait ~0
    ollama_settings.LLM_BACKOFF_BASE = 0.001
    ollama_settings.LLM_BACKOFF_MAX = 5.0
    fake_ollama.queue_chat(rate_limited(retry_after="1"))

    # when
    get_backend().chat(chat_request())

    # then the second request came a second or more after the first
    first, second = fake_ollama.recorded("/api/chat")
    assert second.received_at - first.received_at >= 0.95


def test_retry_after_longer_than_the_backoff_cap_is_handed_to_the_caller(
    ollama_settings, fake_ollama, chat_request
):
    fake_ollama.queue_chat(rate_limited(retry_after="120"))

    with pytest.raises(LLMRateLimitedError) as caught:
        get_backend().chat(chat_request())

    assert caught.value.retry_after == 120
    assert caught.value.retryable is True
    assert fake_ollama.count() == 1


def test_a_hung_server_ends_in_a_timeout_error_after_the_retries(
    ollama_settings, fake_ollama, chat_request
):
    # given every answer arrives after the 0.3 s read timeout
    fake_ollama.queue_chat(slow(1.0), slow(1.0), slow(1.0))

    with pytest.raises(LLMTimeoutError, match="gave up after 3 attempts") as caught:
        get_backend().chat(chat_request())

    assert caught.value.retryable is True
    assert caught.value.endpoint == fake_ollama.url
    assert fake_ollama.count() == 3


def test_fails_over_to_the_next_url_when_the_first_refuses_connections(
    ollama_settings, fake_ollama, chat_request
):
    ollama_settings.OLLAMA_URL = f"{closed_port_url()}, {fake_ollama.url}"

    response = get_backend().chat(chat_request())

    assert response.endpoint == fake_ollama.url
    assert fake_ollama.count() == 1


def test_fails_over_on_a_server_error_without_waiting_for_a_retry_round(
    ollama_settings, fake_ollama, chat_request
):
    ollama_settings.LLM_MAX_RETRIES = 0
    with fake_ollama_server() as second:
        ollama_settings.OLLAMA_URL = f"{fake_ollama.url},{second.url}"
        fake_ollama.queue_chat(server_error(503))

        response = get_backend().chat(chat_request())

        assert response.endpoint == second.url
        assert (fake_ollama.count(), second.count()) == (1, 1)


def test_every_url_refusing_ends_in_a_connection_error(ollama_settings, chat_request):
    ollama_settings.OLLAMA_URL = f"{closed_port_url()},{closed_port_url()}"

    with pytest.raises(LLMConnectionError, match="gave up after 6 attempts") as caught:
        get_backend().chat(chat_request())

    assert "Connection refused" in str(caught.value)


def test_circuit_opens_after_consecutive_failures_and_half_opens_after_the_cooldown(
    ollama_settings, fake_ollama, chat_request
):
    # given a breaker that opens after two failures and no in-call retries
    ollama_settings.LLM_MAX_RETRIES = 0
    ollama_settings.LLM_BREAKER_THRESHOLD = 2
    ollama_settings.LLM_BREAKER_COOLDOWN = 0.3
    fake_ollama.queue_chat(server_error(), server_error())
    backend = get_backend()
    for _ in range(2):
        with pytest.raises(LLMServerError):
            backend.chat(chat_request())

    # when the circuit is open, calls fail fast without reaching the server
    with pytest.raises(LLMCircuitOpenError) as caught:
        backend.chat(chat_request())
    assert fake_ollama.count() == 2
    assert 0 < caught.value.retry_after <= 0.3
    assert caught.value.retryable is True

    # then after the cool-down one trial goes through, and its success closes the circuit
    time.sleep(0.35)
    assert backend.chat(chat_request()).content == '{"ok": true}'
    assert backend.chat(chat_request()).content == '{"ok": true}'
    assert fake_ollama.count() == 4


def test_a_failed_half_open_trial_opens_the_circuit_again(
    ollama_settings, fake_ollama, chat_request
):
    ollama_settings.LLM_MAX_RETRIES = 0
    ollama_settings.LLM_BREAKER_THRESHOLD = 1
    ollama_settings.LLM_BREAKER_COOLDOWN = 0.2
    fake_ollama.queue_chat(server_error(), server_error())
    backend = get_backend()
    with pytest.raises(LLMServerError):
        backend.chat(chat_request())
    time.sleep(0.25)

    with pytest.raises(LLMServerError):  # the trial
        backend.chat(chat_request())
    with pytest.raises(LLMCircuitOpenError):
        backend.chat(chat_request())

    assert fake_ollama.count() == 2


def test_an_open_circuit_sends_traffic_to_the_next_url(ollama_settings, fake_ollama, chat_request):
    ollama_settings.LLM_MAX_RETRIES = 0
    ollama_settings.LLM_BREAKER_THRESHOLD = 1
    ollama_settings.LLM_BREAKER_COOLDOWN = 30.0
    with fake_ollama_server() as second:
        ollama_settings.OLLAMA_URL = f"{fake_ollama.url},{second.url}"
        fake_ollama.queue_chat(server_error())
        backend = get_backend()

        backend.chat(chat_request())  # first fails over to second, and its circuit opens
        backend.chat(chat_request())

        assert (fake_ollama.count(), second.count()) == (1, 2)


@pytest.mark.parametrize("limit", [1, 3], ids=["one-slot", "three-slots"])
def test_never_more_requests_in_flight_per_url_than_the_concurrency_limit(
    ollama_settings, fake_ollama, chat_request, limit
):
    # given a slow server and more callers than slots
    ollama_settings.LLM_MAX_CONCURRENCY = limit
    ollama_settings.LLM_READ_TIMEOUT = 5.0
    callers = 2 * limit + 1
    fake_ollama.queue_chat(*[slow(0.15) for _ in range(callers)])
    backend = get_backend()

    # when they all call at once
    with ThreadPoolExecutor(max_workers=callers) as pool:
        responses = list(pool.map(lambda _: backend.chat(chat_request()), range(callers)))

    # then every call succeeded and the server saw at most `limit` at a time
    assert len(responses) == callers
    assert fake_ollama.count() == callers
    assert fake_ollama.max_in_flight == limit


def test_chat_and_embed_share_the_slots_of_a_url(ollama_settings, fake_ollama, chat_request):
    ollama_settings.LLM_MAX_CONCURRENCY = 1
    ollama_settings.LLM_READ_TIMEOUT = 5.0
    fake_ollama.queue_chat(slow(0.15), slow(0.15))
    fake_ollama.queue_embed(slow(0.15), slow(0.15))
    backend = get_backend()

    with ThreadPoolExecutor(max_workers=4) as pool:
        chats = [pool.submit(backend.chat, chat_request()) for _ in range(2)]
        embeds = [pool.submit(backend.embed, ["a"]) for _ in range(2)]
        for future in chats + embeds:
            future.result()

    assert fake_ollama.max_in_flight == 1
