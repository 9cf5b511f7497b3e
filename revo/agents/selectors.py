from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet, Sum

from revo.agents.models import AgentRun, PipelineRun
from revo.llm.models import LLMCall


def runs_for_pipeline(pipeline: PipelineRun) -> QuerySet[AgentRun]:
    return pipeline.agent_runs.order_by("stage_index", "queued_at")


def llm_usage_by_run(run_ids: list[Any]) -> dict[str, dict[str, int]]:
    """LLM calls and tokens per agent run id (from the LLM call log), in one query."""
    if not run_ids:
        return {}
    rows = (
        LLMCall.objects.filter(run_id__in=run_ids)
        .values("run_id")
        .annotate(
            calls=Count("id"), tokens_in=Sum("prompt_tokens"), tokens_out=Sum("completion_tokens")
        )
    )
    return {
        str(row["run_id"]): {
            "calls": row["calls"],
            "tokens_in": row["tokens_in"] or 0,
            "tokens_out": row["tokens_out"] or 0,
        }
        for row in rows
    }
