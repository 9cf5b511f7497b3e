"""Small checks shared by the HTTP backends when they read an answer."""

from __future__ import annotations

import math
from typing import Any

from revo.llm.errors import LLMResponseError


def optional_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def vectors_or_error(raw: Any, expected: int, endpoint: str) -> list[list[float]]:
    """The embedding vectors of an answer, one per input text, all of one dimension."""
    if not isinstance(raw, list) or len(raw) != expected:
        got = len(raw) if isinstance(raw, list) else type(raw).__name__
        raise LLMResponseError(
            f"{endpoint} returned {got} embeddings for {expected} inputs", endpoint=endpoint
        )
    vectors: list[list[float]] = []
    for vector in raw:
        if (
            not isinstance(vector, list)
            or not vector
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in vector)
        ):
            raise LLMResponseError(f"{endpoint} returned a malformed embedding", endpoint=endpoint)
        vectors.append([float(x) for x in vector])
    if len({len(vector) for vector in vectors}) > 1:
        raise LLMResponseError(
            f"{endpoint} returned embeddings of different dimensions", endpoint=endpoint
        )
    return vectors


def mean_logprob(choice: dict[str, Any]) -> float | None:
    """Mean log-probability of the generated tokens (OpenAI ``choices[0].logprobs``)."""
    logprobs = choice.get("logprobs")
    tokens = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(tokens, list):
        return None
    values = [
        float(token["logprob"])
        for token in tokens
        if isinstance(token, dict)
        and isinstance(token.get("logprob"), int | float)
        and math.isfinite(token["logprob"])
    ]
    return sum(values) / len(values) if values else None
