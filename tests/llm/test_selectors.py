"""Call statistics per prompt version."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revo.llm.models import LLMCall
from revo.llm.selectors import llm_call_stats_by_prompt_version, prompt_versions


def _call(key: str, version: int, status: str, latency: float, tokens: int | None = 10) -> None:
    LLMCall.objects.create(
        prompt_key=key,
        prompt_version=version,
        backend="ollama",
        status=status,
        latency_ms=latency,
        prompt_tokens=tokens,
        completion_tokens=tokens and tokens // 2,
    )


def test_stats_per_prompt_version_in_one_query(tenant):
    # given calls over two versions of one key and another key
    for latency in range(1, 101):
        _call("sdr.score_lead", 1, "ok", float(latency))
    _call("sdr.score_lead", 2, "ok", 10.0)
    _call("sdr.score_lead", 2, "invalid", 20.0)
    _call("sdr.score_lead", 2, "error", 30.0, tokens=None)
    _call("sdr.score_lead", 2, "error", 40.0)

    # when reading the stats
    with CaptureQueriesContext(connection) as queries:
        stats = llm_call_stats_by_prompt_version()

    # then one query (besides django-tenants' search_path) gave each version its figures
    selects = [query for query in queries.captured_queries if not query["sql"].startswith("SET ")]
    assert len(selects) == 1
    by_version = {(row["prompt_key"], row["prompt_version"]): row for row in stats}
    first = by_version[("sdr.score_lead", 1)]
    assert first["calls"] == 100
    assert first["error_rate"] == 0
    assert first["mean_latency_ms"] == pytest.approx(50.5)
    assert first["p95_latency_ms"] == pytest.approx(95.05)
    assert (first["tokens_in"], first["tokens_out"]) == (1000, 500)
    second = by_version[("sdr.score_lead", 2)]
    assert second["calls"] == 4
    assert second["error_rate"] == 0.5
    assert second["invalid_rate"] == 0.25
    assert second["tokens_in"] == 30


def test_stats_are_empty_without_calls(tenant):
    assert llm_call_stats_by_prompt_version() == []


def test_prompt_versions_filter_by_key_and_active(tenant):
    versions = prompt_versions(key="sdr.score_lead", active=True)

    assert [prompt.version for prompt in versions] == [1]
    assert prompt_versions(key="sdr.score_lead", active=False).count() == 0
