"""The building blocks of the HTTP layer (breaker, backoff, Retry-After) and the backend
registry that reads the settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from revo.llm.backends import get_backend
from revo.llm.backends.ollama import OllamaBackend
from revo.llm.backends.openai import OpenAIBackend
from revo.llm.backends.template import TemplateBackend
from revo.llm.resilience import (
    BreakerState,
    CircuitBreaker,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
)


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_threshold_consecutive_failures_only():
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=3, cooldown=10.0, clock=clock)

    breaker.failure()
    breaker.failure()
    breaker.success()  # resets the streak
    breaker.failure()
    breaker.failure()
    assert breaker.state is BreakerState.CLOSED

    breaker.failure()
    assert breaker.state is BreakerState.OPEN
    assert breaker.acquire() is False
    assert breaker.retry_in() == pytest.approx(10.0)


def test_half_open_breaker_lets_exactly_one_trial_through():
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=1, cooldown=5.0, clock=clock)
    breaker.failure()

    clock.now += 5.0

    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.acquire() is True
    assert breaker.acquire() is False  # a second caller while the trial is out
    breaker.release()  # the trial ended without a verdict (429)
    assert breaker.acquire() is True
    breaker.success()
    assert breaker.state is BreakerState.CLOSED


def test_failed_trial_opens_for_a_fresh_cooldown():
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=3, cooldown=5.0, clock=clock)
    for _ in range(3):
        breaker.failure()
    clock.now += 6.0
    assert breaker.acquire() is True

    breaker.failure()

    assert breaker.state is BreakerState.OPEN
    assert breaker.retry_in() == pytest.approx(5.0)


def test_backoff_is_full_jitter_under_an_exponential_cap():
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0)

    delays = {n: [backoff_delay(policy, n) for _ in range(200)] for n in range(5)}

    for n, values in delays.items():
        ceiling = min(3.0, 0.5 * 2**n)
        assert all(0 <= value <= ceiling for value in values)
        assert max(values) > ceiling / 2  # spread over the range, not a fixed step
    assert all(backoff_delay(policy, 0, retry_after=2.0) >= 2.0 for _ in range(50))


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Wed, 01 Jan 2026 00:00:30 GMT", 30.0),
        ("Wed, 31 Dec 2025 23:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
    ids=[
        "seconds",
        "fractional",
        "negative",
        "http-date",
        "past-date",
        "garbage",
        "empty",
        "absent",
    ],
)
def test_retry_after_is_read_as_seconds(header, seconds):
    now = datetime(2026, 1, 1, tzinfo=UTC)

    assert parse_retry_after(header, now=now) == seconds


@pytest.mark.parametrize(
    ("name", "backend_class"),
    [("ollama", OllamaBackend), ("openai", OpenAIBackend), ("template", TemplateBackend)],
    ids=["ollama", "openai", "template"],
)
def test_get_backend_builds_the_named_backend_once_per_process(settings, name, backend_class):
    settings.LLM_BACKEND = name

    backend = get_backend()

    assert isinstance(backend, backend_class)
    assert backend.name == name
    assert get_backend() is backend
    assert get_backend(name.upper()) is backend


def test_an_explicit_name_wins_over_the_setting(settings):
    settings.LLM_BACKEND = "ollama"

    assert isinstance(get_backend("template"), TemplateBackend)


def test_changing_an_llm_setting_builds_a_fresh_backend(settings):
    settings.LLM_BACKEND = "ollama"
    settings.OLLAMA_URL = "http://127.0.0.1:1"
    before = get_backend()

    settings.OLLAMA_URL = "http://127.0.0.1:2, http://127.0.0.1:3/"

    after = get_backend()
    assert after is not before
    assert after.client.base_urls == ["http://127.0.0.1:2", "http://127.0.0.1:3"]


def test_unset_urls_default_to_the_local_servers(settings):
    settings.OLLAMA_URL = ""
    settings.OPENAI_BASE_URL = ""

    assert get_backend("ollama").client.base_urls == ["http://localhost:11434"]
    assert get_backend("openai").client.base_urls == ["http://localhost:8000"]


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("LLM_BACKEND", "gpt", "LLM_BACKEND must be one of"),
        ("OLLAMA_URL", "ftp://models.local", "OLLAMA_URL must hold http"),
        ("OLLAMA_URL", "http://host:port", "invalid port"),
        ("OLLAMA_URL", " , ", "names no base URL"),
        ("LLM_MAX_CONCURRENCY", 0, "LLM_MAX_CONCURRENCY"),
        ("LLM_MAX_RETRIES", -1, "LLM_MAX_RETRIES"),
        ("LLM_READ_TIMEOUT", 0, "timeouts must be positive"),
    ],
    ids=[
        "unknown-backend",
        "bad-scheme",
        "bad-port",
        "empty-list",
        "no-slots",
        "neg-retries",
        "zero-timeout",
    ],
)
def test_bad_configuration_is_refused_with_the_setting_named(settings, setting, value, message):
    settings.LLM_BACKEND = "ollama"
    setattr(settings, setting, value)

    with pytest.raises(ImproperlyConfigured, match=message):
        get_backend()
