"""Reads of the LLM layer."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, Avg, Count, FloatField, Q, QuerySet, Sum

from revo.llm.errors import PromptError
from revo.llm.models import LLMCall, LLMCallStatus, PromptTemplate


def prompt_active_get(key: str) -> PromptTemplate:
    prompt = PromptTemplate.objects.filter(key=key, is_active=True).first()
    if prompt is None:
        raise PromptError(f"no active prompt {key!r} in this tenant")
    return prompt


def prompt_versions(*, key: str | None = None, active: bool | None = None) -> QuerySet:
    queryset = PromptTemplate.objects.select_related("author").order_by("key", "-version")
    if key is not None:
        queryset = queryset.filter(key=key)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset


class Percentile(Aggregate):
    """PostgreSQL ``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: str, percentile: float, **extra: Any) -> None:
        if not 0 <= percentile <= 1:
            raise ValueError("percentile must be between 0 and 1")
        super().__init__(expression, percentile=float(percentile), **extra)


def llm_call_stats_by_prompt_version() -> list[dict[str, Any]]:
    """Per prompt key and version (one query): calls, error and invalid rates, mean and p95
    latency (ms), prompt and completion tokens."""
    rows = (
        LLMCall.objects.values("prompt_key", "prompt_version")
        .annotate(
            calls=Count("id"),
            errors=Count("id", filter=Q(status=LLMCallStatus.ERROR)),
            invalid=Count("id", filter=Q(status=LLMCallStatus.INVALID)),
            mean_latency_ms=Avg("latency_ms"),
            p95_latency_ms=Percentile("latency_ms", 0.95),
            tokens_in=Sum("prompt_tokens"),
            tokens_out=Sum("completion_tokens"),
        )
        .order_by("prompt_key", "prompt_version")
    )
    return [
        {
            **row,
            "error_rate": row["errors"] / row["calls"],
            "invalid_rate": row["invalid"] / row["calls"],
            "tokens_in": row["tokens_in"] or 0,
            "tokens_out": row["tokens_out"] or 0,
        }
        for row in rows
    ]
