"""A scriptable in-process backend implementing the ``Backend`` protocol: answers are
queued per call; every request is kept for assertions."""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from revo.llm.backends.base import ChatRequest, ChatResponse, EmbedResponse
from revo.llm.errors import LLMError


@dataclass
class ScriptedBackend:
    """Each ``chat`` pops the next scripted answer: a dict (sent as JSON), a string (sent as
    is) or an ``LLMError`` instance (raised). When the script runs out the last answer
    repeats."""

    answers: list[Any] = field(default_factory=list)
    name: str = "scripted"
    mean_logprob: float | None = None
    latency_s: float = 0.0
    requests: list[ChatRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue = deque(self.answers)
        self._last: Any = None

    def chat(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if self.latency_s:
            time.sleep(self.latency_s)
        answer = self._queue.popleft() if self._queue else self._last
        self._last = answer
        if isinstance(answer, LLMError):
            raise answer
        content = answer if isinstance(answer, str) else json.dumps(answer)
        return ChatResponse(
            content=content,
            model=request.model,
            backend=self.name,
            endpoint="memory://scripted",
            prompt_tokens=100,
            completion_tokens=20,
            latency_ms=self.latency_s * 1000,
            mean_logprob=self.mean_logprob,
        )

    def embed(self, texts: list[str], *, model: str | None = None) -> EmbedResponse:
        return EmbedResponse(
            vectors=[[float(len(text))] for text in texts],
            model=model or "scripted",
            backend=self.name,
            endpoint="memory://scripted",
        )
