"""The interface every model backend implements (``ollama``, ``openai``, ``template``).

``generate()`` in ``revo.llm.services`` is the only caller. A backend turns one
``ChatRequest`` into one ``ChatResponse`` or raises an ``revo.llm.errors.LLMError``; retries,
failover and circuit breaking across endpoints happen inside the backend's HTTP layer, so the
caller sees either an answer or one typed error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class ChatRequest:
    messages: list[ChatMessage]
    model: str
    json_schema: dict[str, Any] | None = None  # the prompt's output schema (structured output)
    options: dict[str, Any] = field(default_factory=dict)  # temperature, seed, num_ctx, ...
    # The template backend renders this deterministically instead of calling a model.
    fallback_template: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    prompt_key: str = ""


@dataclass(frozen=True)
class ChatResponse:
    content: str  # raw text the model produced (JSON text for structured output)
    model: str
    backend: str
    endpoint: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float = 0.0  # wall time of the HTTP exchange as measured by Revo
    total_duration_ms: float | None = None  # as reported by the server, if it does
    done_reason: str | None = None
    # Mean token log-probability when the server offers it (OpenAI-compatible logprobs).
    mean_logprob: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EmbedResponse:
    vectors: list[list[float]]
    model: str
    backend: str
    endpoint: str
    latency_ms: float = 0.0
    prompt_tokens: int | None = None


class Backend(Protocol):
    name: str  # "ollama" | "openai" | "template"

    def chat(self, request: ChatRequest) -> ChatResponse: ...

    def embed(self, texts: list[str], *, model: str | None = None) -> EmbedResponse: ...
