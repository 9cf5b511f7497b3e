"""Fixtures for the LLM layer: fake Ollama and OpenAI-compatible servers on loopback, and
settings that keep timeouts, backoff and cool-downs short."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_django import Settings

from revo.llm.backends import reset_backends
from revo.llm.backends.base import ChatMessage, ChatRequest
from tests.fakes.ollama import FakeOllama, fake_ollama_server
from tests.fakes.openai import FakeOpenAI, fake_openai_server


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with fake_ollama_server() as fake:
        yield fake


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with fake_openai_server() as fake:
        yield fake


@pytest.fixture
def llm_settings(settings: Settings) -> Settings:
    """Fast resilience settings; tests adjust single values on the returned object."""
    settings.LLM_CONNECT_TIMEOUT = 0.5
    settings.LLM_READ_TIMEOUT = 0.3
    settings.LLM_MAX_RETRIES = 2
    settings.LLM_BACKOFF_BASE = 0.01
    settings.LLM_BACKOFF_MAX = 0.05
    settings.LLM_MAX_CONCURRENCY = 2
    settings.LLM_BREAKER_THRESHOLD = 5
    settings.LLM_BREAKER_COOLDOWN = 0.3
    settings.LLM_MODEL = "qwen2.5:7b-instruct"
    settings.LLM_EMBED_MODEL = "nomic-embed-text"
    settings.LLM_KEEP_ALIVE = "30m"
    settings.LLM_NUM_CTX = 8192
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_LOGPROBS = True
    return settings


@pytest.fixture
def ollama_settings(llm_settings: Settings, fake_ollama: FakeOllama) -> Settings:
    llm_settings.LLM_BACKEND = "ollama"
    llm_settings.OLLAMA_URL = fake_ollama.url
    return llm_settings


@pytest.fixture
def openai_settings(llm_settings: Settings, fake_openai: FakeOpenAI) -> Settings:
    llm_settings.LLM_BACKEND = "openai"
    llm_settings.OPENAI_BASE_URL = f"{fake_openai.url}/v1"
    return llm_settings


@pytest.fixture(autouse=True)
def _fresh_backends() -> Iterator[None]:
    """Backends are cached per process; no test sees another test's sessions or breakers."""
    reset_backends()
    yield
    reset_backends()


OUTREACH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"subject": {"type": "string"}, "body": {"type": "string"}},
    "required": ["subject", "body"],
    "additionalProperties": False,
}


@pytest.fixture
def outreach_schema() -> dict[str, Any]:
    return OUTREACH_SCHEMA


@pytest.fixture
def chat_request() -> Callable[..., ChatRequest]:
    """Build a ``ChatRequest`` for the outreach prompt; keyword arguments override fields."""

    def build(**overrides: Any) -> ChatRequest:
        fields: dict[str, Any] = {
            "messages": [
                ChatMessage(role="system", content="You write short B2B emails as JSON."),
                ChatMessage(role="user", content="Write to Ana at Acme."),
            ],
            "model": "",
            "json_schema": OUTREACH_SCHEMA,
            "options": {},
            "prompt_key": "sdr.outreach",
        }
        fields.update(overrides)
        return ChatRequest(**fields)

    return build
