"""Ollama over its HTTP API: ``POST /api/chat`` (structured output through ``format`` = the
JSON schema) and ``POST /api/embed``."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings

from revo.llm.backends.base import ChatRequest, ChatResponse, EmbedResponse
from revo.llm.backends.parsing import optional_int, vectors_or_error
from revo.llm.errors import (
    LLMError,
    LLMModelNotFoundError,
    LLMRequestError,
    LLMResponseError,
)
from revo.llm.http import ResilientClient, error_text, split_base_urls
from revo.llm.resilience import RetryPolicy

DEFAULT_URL = "http://localhost:11434"
_MODEL_NOT_FOUND = re.compile(r"model\s+[\"']?(?P<model>[^\"'\s]+)[\"']?\s+not found", re.I)


def keep_alive_value(raw: str) -> str | int:
    """Ollama reads a bare number as seconds (``-1``: keep loaded) and a string as a Go
    duration (``"30m"``)."""
    raw = raw.strip()
    return int(raw) if re.fullmatch(r"-?\d+", raw) else raw


def ollama_error(status: int, body: Any, base_url: str) -> LLMError:
    """A 4xx answer or a 200 ``{"error": ...}`` body as a terminal error."""
    text = error_text(body)
    missing = _MODEL_NOT_FOUND.search(text)
    if missing:
        return LLMModelNotFoundError(
            f"model {missing.group('model')} is not pulled on {base_url} ({text})",
            endpoint=base_url,
            status=status,
        )
    if status == 404:
        return LLMRequestError(
            f"{base_url} answered 404 ({text or 'no body'}); is OLLAMA_URL an Ollama server?",
            endpoint=base_url,
            status=status,
        )
    return LLMRequestError(
        f"{base_url} refused the request ({status}): {text}", endpoint=base_url, status=status
    )


class OllamaBackend:
    name = "ollama"

    def __init__(
        self,
        *,
        base_urls: Sequence[str],
        policy: RetryPolicy,
        model: str,
        embed_model: str,
        keep_alive: str | int = "30m",
        num_ctx: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = model
        self.embed_model = embed_model
        self.keep_alive = keep_alive
        self.num_ctx = num_ctx
        self.client = ResilientClient(
            base_urls=base_urls, policy=policy, map_client_error=ollama_error, sleep=sleep
        )

    @classmethod
    def from_settings(cls) -> OllamaBackend:
        return cls(
            base_urls=split_base_urls(
                settings.OLLAMA_URL, setting="OLLAMA_URL", default=DEFAULT_URL
            ),
            policy=RetryPolicy.from_settings(),
            model=settings.LLM_MODEL,
            embed_model=settings.LLM_EMBED_MODEL,
            keep_alive=keep_alive_value(settings.LLM_KEEP_ALIVE),
            num_ctx=settings.LLM_NUM_CTX or None,
        )

    def close(self) -> None:
        self.client.close()

    def chat(self, request: ChatRequest) -> ChatResponse:
        options: dict[str, Any] = {}
        if self.num_ctx:
            options["num_ctx"] = self.num_ctx
        options.update(request.options)
        payload: dict[str, Any] = {
            "model": request.model or self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": False,
            "keep_alive": self.keep_alive,
            "options": options,
        }
        if request.json_schema is not None:
            payload["format"] = request.json_schema
        result = self.client.post_json("/api/chat", payload)
        body = result.body
        if "error" in body:
            raise ollama_error(result.status, body, result.endpoint)
        message = body.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise LLMResponseError(
                f"{result.endpoint}/api/chat answered without message.content",
                endpoint=result.endpoint,
                status=result.status,
            )
        total_ns = body.get("total_duration")
        return ChatResponse(
            content=content,
            model=str(body.get("model") or payload["model"]),
            backend=self.name,
            endpoint=result.endpoint,
            prompt_tokens=optional_int(body.get("prompt_eval_count")),
            completion_tokens=optional_int(body.get("eval_count")),
            latency_ms=result.latency_ms,
            total_duration_ms=total_ns / 1_000_000 if isinstance(total_ns, int | float) else None,
            done_reason=body.get("done_reason"),
            raw=body,
        )

    def embed(self, texts: list[str], *, model: str | None = None) -> EmbedResponse:
        model_name = model or self.embed_model
        if not texts:
            return EmbedResponse(vectors=[], model=model_name, backend=self.name, endpoint="")
        payload = {"model": model_name, "input": list(texts), "keep_alive": self.keep_alive}
        result = self.client.post_json("/api/embed", payload)
        body = result.body
        if "error" in body:
            raise ollama_error(result.status, body, result.endpoint)
        return EmbedResponse(
            vectors=vectors_or_error(body.get("embeddings"), len(texts), result.endpoint),
            model=str(body.get("model") or model_name),
            backend=self.name,
            endpoint=result.endpoint,
            latency_ms=result.latency_ms,
            prompt_tokens=optional_int(body.get("prompt_eval_count")),
        )
