"""A fake OpenAI-compatible server (the shape vLLM and llama.cpp serve), built on the same
scripted loopback server as the fake Ollama."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.ollama import DEFAULT_CHAT_CONTENT, Reply, ScriptedJSONServer, fake_vector

CHAT_PATH = "/v1/chat/completions"
EMBED_PATH = "/v1/embeddings"


def completion_reply(
    content: str | dict[str, Any] | list[Any],
    *,
    model: str = "qwen2.5-7b-instruct",
    prompt_tokens: int = 40,
    completion_tokens: int = 12,
    logprobs: list[float] | None = None,
    finish_reason: str = "stop",
) -> Reply:
    text = content if isinstance(content, str) else json.dumps(content)
    choice: dict[str, Any] = {
        "index": 0,
        "message": {"role": "assistant", "content": text},
        "finish_reason": finish_reason,
        "logprobs": None,
    }
    if logprobs is not None:
        choice["logprobs"] = {
            "content": [
                {"token": f"t{i}", "logprob": value, "bytes": None, "top_logprobs": []}
                for i, value in enumerate(logprobs)
            ]
        }
    return Reply(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_767_225_600,
            "model": model,
            "choices": [choice],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def embeddings_reply(vectors: list[list[float]], *, model: str = "nomic-embed-text") -> Reply:
    # Served out of order on purpose: clients must sort by ``index``.
    data = [
        {"object": "embedding", "index": i, "embedding": vector}
        for i, vector in reversed(list(enumerate(vectors)))
    ]
    return Reply(
        body={
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": 4 * len(vectors), "total_tokens": 4 * len(vectors)},
        }
    )


def model_not_found(model: str = "qwen2.5-7b-instruct") -> Reply:
    """vLLM's answer for a model it does not serve."""
    return Reply(
        status=404,
        body={
            "object": "error",
            "message": f"The model `{model}` does not exist.",
            "type": "NotFoundError",
            "param": None,
            "code": 404,
        },
    )


def openai_error(status: int, message: str, error_type: str = "invalid_request_error") -> Reply:
    return Reply(status=status, body={"error": {"message": message, "type": error_type}})


class FakeOpenAI(ScriptedJSONServer):
    not_found_body = {"error": {"message": "Not Found", "type": "invalid_request_error"}}

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.chat_content: str | Callable[[dict[str, Any]], str] = DEFAULT_CHAT_CONTENT
        self.logprobs: list[float] | None = [-0.1, -0.3, -0.2]
        self.embed_dimensions = 8

    def queue_chat(self, *replies: Reply) -> None:
        self.queue(CHAT_PATH, *replies)

    def queue_embed(self, *replies: Reply) -> None:
        self.queue(EMBED_PATH, *replies)

    def routes(self) -> dict[str, Callable[[Any], Reply]]:
        return {CHAT_PATH: self._default_chat, EMBED_PATH: self._default_embed}

    def _default_chat(self, body: Any) -> Reply:
        request = body if isinstance(body, dict) else {}
        content = self.chat_content(request) if callable(self.chat_content) else self.chat_content
        return completion_reply(
            content,
            model=str(request.get("model") or "qwen2.5-7b-instruct"),
            logprobs=self.logprobs if request.get("logprobs") else None,
        )

    def _default_embed(self, body: Any) -> Reply:
        request = body if isinstance(body, dict) else {}
        texts = request.get("input") or []
        texts = [texts] if isinstance(texts, str) else texts
        return embeddings_reply(
            [fake_vector(str(text), self.embed_dimensions) for text in texts],
            model=str(request.get("model") or "nomic-embed-text"),
        )


@contextmanager
def fake_openai_server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
