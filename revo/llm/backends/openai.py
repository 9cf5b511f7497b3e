"""Any OpenAI-compatible server (vLLM, llama.cpp server, ...): ``POST /v1/chat/completions``
with a strict ``json_schema`` response format and ``POST /v1/embeddings``.

``OPENAI_BASE_URL`` may be given with or without the trailing ``/v1``."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings

from revo.llm.backends.base import ChatRequest, ChatResponse, EmbedResponse
from revo.llm.backends.parsing import mean_logprob, optional_int, vectors_or_error
from revo.llm.errors import LLMError, LLMModelNotFoundError, LLMRequestError, LLMResponseError
from revo.llm.http import ResilientClient, error_text, split_base_urls
from revo.llm.resilience import RetryPolicy

DEFAULT_URL = "http://localhost:8000"
# Ollama-style option names (what prompts declare) → OpenAI request fields. ``num_ctx`` has
# no per-request equivalent: the context size is fixed when the server starts.
OPTION_FIELDS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "num_predict": "max_tokens",
    "max_tokens": "max_tokens",
    "stop": "stop",
}


def openai_error(status: int, body: Any, base_url: str) -> LLMError:
    text = error_text(body)
    if status == 404 and "model" in text.lower():
        return LLMModelNotFoundError(
            f"the model is not served by {base_url}: {text}", endpoint=base_url, status=status
        )
    if status in {401, 403}:
        return LLMRequestError(
            f"{base_url} refused the credentials ({status}); check OPENAI_API_KEY: {text}",
            endpoint=base_url,
            status=status,
        )
    return LLMRequestError(
        f"{base_url} refused the request ({status}): {text}", endpoint=base_url, status=status
    )


def schema_name(prompt_key: str) -> str:
    """OpenAI allows ``[a-zA-Z0-9_-]{1,64}`` as a response format name."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", prompt_key)[:64] or "output"


def _strip_v1(url: str) -> str:
    return url[: -len("/v1")] if url.endswith("/v1") else url


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        *,
        base_urls: Sequence[str],
        policy: RetryPolicy,
        model: str,
        embed_model: str,
        api_key: str = "",
        logprobs: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = model
        self.embed_model = embed_model
        self.logprobs = logprobs
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = ResilientClient(
            base_urls=[_strip_v1(url) for url in base_urls],
            policy=policy,
            map_client_error=openai_error,
            headers=headers,
            sleep=sleep,
        )

    @classmethod
    def from_settings(cls) -> OpenAIBackend:
        return cls(
            base_urls=split_base_urls(
                settings.OPENAI_BASE_URL, setting="OPENAI_BASE_URL", default=DEFAULT_URL
            ),
            policy=RetryPolicy.from_settings(),
            model=settings.LLM_MODEL,
            embed_model=settings.LLM_EMBED_MODEL,
            api_key=settings.OPENAI_API_KEY,
            logprobs=settings.OPENAI_LOGPROBS,
        )

    def close(self) -> None:
        self.client.close()

    def chat(self, request: ChatRequest) -> ChatResponse:
        payload: dict[str, Any] = {
            "model": request.model or self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": False,
        }
        for option, value in request.options.items():
            if option in OPTION_FIELDS:
                payload[OPTION_FIELDS[option]] = value
        if self.logprobs:
            payload["logprobs"] = True
        if request.json_schema is not None:
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema_name(request.prompt_key),
                    "schema": request.json_schema,
                    "strict": True,
                },
            }
        result = self.client.post_json("/v1/chat/completions", payload)
        body = result.body
        choices = body.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices else None
        message = choice.get("message") if isinstance(choice, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if "error" in body and choice is None:
            raise openai_error(result.status, body, result.endpoint)
        if not isinstance(content, str):
            raise LLMResponseError(
                f"{result.endpoint}/v1/chat/completions answered without a message content",
                endpoint=result.endpoint,
                status=result.status,
            )
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        return ChatResponse(
            content=content,
            model=str(body.get("model") or payload["model"]),
            backend=self.name,
            endpoint=result.endpoint,
            prompt_tokens=optional_int(usage.get("prompt_tokens")),
            completion_tokens=optional_int(usage.get("completion_tokens")),
            latency_ms=result.latency_ms,
            done_reason=choice.get("finish_reason"),
            mean_logprob=mean_logprob(choice),
            raw=body,
        )

    def embed(self, texts: list[str], *, model: str | None = None) -> EmbedResponse:
        model_name = model or self.embed_model
        if not texts:
            return EmbedResponse(vectors=[], model=model_name, backend=self.name, endpoint="")
        result = self.client.post_json(
            "/v1/embeddings", {"model": model_name, "input": list(texts)}
        )
        body = result.body
        data = body.get("data")
        if not isinstance(data, list):
            if "error" in body:
                raise openai_error(result.status, body, result.endpoint)
            raise LLMResponseError(
                f"{result.endpoint}/v1/embeddings answered without data", endpoint=result.endpoint
            )
        ordered = sorted(
            (item for item in data if isinstance(item, dict)),
            key=lambda item: optional_int(item.get("index")) or 0,
        )
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        return EmbedResponse(
            vectors=vectors_or_error(
                [item.get("embedding") for item in ordered], len(texts), result.endpoint
            ),
            model=str(body.get("model") or model_name),
            backend=self.name,
            endpoint=result.endpoint,
            latency_ms=result.latency_ms,
            prompt_tokens=optional_int(usage.get("prompt_tokens")),
        )
