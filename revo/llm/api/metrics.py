"""Reads behind ``GET /api/v1/metrics/agents``: per agent and per prompt version, each
figure aggregated in SQL, five queries whatever the volume."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import (
    Avg,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast

from revo.agents.models import AgentRun, RunStatus
from revo.llm.models import LLMCall, LLMCallStatus
from revo.llm.selectors import Percentile
from revo.reviews.models import ReviewDecision, ReviewDecisionKind, ReviewItem, ReviewStatus

HUMAN_DECISIONS = (
    ReviewDecisionKind.APPROVE,
    ReviewDecisionKind.EDIT_APPROVE,
    ReviewDecisionKind.REJECT,
    ReviewDecisionKind.REGENERATE,
)


class EpochSeconds(Func):
    """Seconds in an interval (``EXTRACT(EPOCH FROM ...)``)."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    output_field = FloatField()


def _window(field: str, since: datetime | None, until: datetime | None) -> Q:
    q = Q()
    if since is not None:
        q &= Q(**{f"{field}__gte": since})
    if until is not None:
        q &= Q(**{f"{field}__lt": until})
    return q


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _decision_counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = dict.fromkeys(ReviewDecisionKind.values, 0)
    for row in rows:
        counts[row["decision"]] += row["n"]
    decided = sum(counts[kind] for kind in HUMAN_DECISIONS)
    approved = counts[ReviewDecisionKind.APPROVE] + counts[ReviewDecisionKind.EDIT_APPROVE]
    return {
        "decided": decided,
        "approved": approved,
        "edited": counts[ReviewDecisionKind.EDIT_APPROVE],
        "rejected": counts[ReviewDecisionKind.REJECT],
        "regenerated": counts[ReviewDecisionKind.REGENERATE],
        "auto_approved": counts[ReviewDecisionKind.AUTO_APPROVE],
        "approval_rate": _rate(approved, decided),
        "edit_rate": _rate(counts[ReviewDecisionKind.EDIT_APPROVE], decided),
        "rejection_rate": _rate(counts[ReviewDecisionKind.REJECT], decided),
        "regeneration_rate": _rate(counts[ReviewDecisionKind.REGENERATE], decided),
    }


def _llm_figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "calls": row["calls"],
        "error_rate": _rate(row["errors"], row["calls"]),
        "mean_latency_ms": round(row["mean_latency_ms"] or 0.0, 2),
        "p95_latency_ms": round(row["p95_latency_ms"] or 0.0, 2),
        "tokens_in": row["tokens_in"] or 0,
        "tokens_out": row["tokens_out"] or 0,
    }


def _llm_aggregates() -> dict[str, Any]:
    return {
        "calls": Count("id"),
        "errors": Count("id", filter=~Q(status=LLMCallStatus.OK)),
        "mean_latency_ms": Avg("latency_ms"),
        "p95_latency_ms": Percentile("latency_ms", 0.95),
        "tokens_in": Sum("prompt_tokens"),
        "tokens_out": Sum("completion_tokens"),
    }


def agent_metrics(
    *, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """One entry per agent: runs, success rate, items, artifacts, review outcomes, median
    review wait, LLM latency and tokens, and the same per prompt version it used."""
    runs = (
        AgentRun.objects.filter(_window("queued_at", since, until))
        .values("agent")
        .annotate(
            runs=Count("id"),
            succeeded=Count("id", filter=Q(status=RunStatus.SUCCEEDED)),
            finished=Count(
                "id", filter=Q(status__in=[RunStatus.SUCCEEDED, RunStatus.DEAD, RunStatus.FAILED])
            ),
            items_processed=Sum("processed"),
            items_failed=Sum("failed"),
            artifacts_created=Sum("artifacts_created"),
        )
    )
    wait = ExpressionWrapper(
        EpochSeconds(F("decided_at") - F("created_at")), output_field=FloatField()
    )
    items = (
        ReviewItem.objects.filter(_window("created_at", since, until))
        .values("agent")
        .annotate(
            artifacts=Count("id"),
            pending=Count("id", filter=Q(status=ReviewStatus.PENDING_REVIEW)),
            median_review_wait_s=Percentile(
                wait, 0.5, filter=Q(decided_at__isnull=False, auto_approved=False)
            ),
        )
    )
    decisions = (
        ReviewDecision.objects.filter(_window("item__created_at", since, until))
        .values("item__agent", "decision")
        .annotate(n=Count("id"))
    )
    llm = (
        LLMCall.objects.filter(_window("created_at", since, until))
        .values("agent", "prompt_key", "prompt_version")
        .annotate(**_llm_aggregates())
        .order_by("agent", "prompt_key", "prompt_version")
    )
    # The prompt version that drafted each decided artifact: its latest logged LLM call.
    drafted_by = LLMCall.objects.filter(
        artifact_content_type=OuterRef("item__content_type"),
        artifact_object_id=Cast(OuterRef("item__object_id"), CharField()),
    ).order_by("-created_at", "-id")
    decisions_by_version = (
        ReviewDecision.objects.filter(_window("item__created_at", since, until))
        .annotate(
            prompt_key=Subquery(drafted_by.values("prompt_key")[:1]),
            prompt_version=Subquery(drafted_by.values("prompt_version")[:1]),
        )
        .filter(prompt_key__isnull=False)
        .values("item__agent", "prompt_key", "prompt_version", "decision")
        .annotate(n=Count("id"))
    )
    return _assemble(
        list(runs), list(items), list(decisions), list(llm), list(decisions_by_version)
    )


def _assemble(
    runs: list[dict[str, Any]],
    items: list[dict[str, Any]],
    decisions: list[dict[str, Any]],
    llm: list[dict[str, Any]],
    decisions_by_version: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    agents = sorted(
        {r["agent"] for r in runs}
        | {r["agent"] for r in items}
        | {r["item__agent"] for r in decisions}
        | {r["agent"] for r in llm}
    )
    runs_by = {r["agent"]: r for r in runs}
    items_by = {r["agent"]: r for r in items}
    decisions_by: dict[str, list] = defaultdict(list)
    for row in decisions:
        decisions_by[row["item__agent"]].append(row)
    version_decisions: dict[tuple, list] = defaultdict(list)
    for row in decisions_by_version:
        version_decisions[(row["item__agent"], row["prompt_key"], row["prompt_version"])].append(
            row
        )
    llm_by: dict[str, list] = defaultdict(list)
    for row in llm:
        llm_by[row["agent"]].append(row)
    result = []
    for agent in agents:
        run = runs_by.get(agent, {})
        item = items_by.get(agent, {})
        calls = llm_by.get(agent, [])
        total_calls = sum(c["calls"] for c in calls)
        result.append(
            {
                "agent": agent,
                "runs": run.get("runs", 0),
                "succeeded": run.get("succeeded", 0),
                "success_rate": _rate(run.get("succeeded", 0), run.get("finished", 0)),
                "items_processed": run.get("items_processed") or 0,
                "items_failed": run.get("items_failed") or 0,
                "artifacts_created": run.get("artifacts_created") or 0,
                "artifacts_in_review_queue": item.get("artifacts", 0),
                "pending_review": item.get("pending", 0),
                "median_review_wait_s": item.get("median_review_wait_s"),
                "reviews": _decision_counts(decisions_by.get(agent, [])),
                "llm": {
                    "calls": total_calls,
                    "tokens_in": sum(c["tokens_in"] or 0 for c in calls),
                    "tokens_out": sum(c["tokens_out"] or 0 for c in calls),
                    "mean_latency_ms": round(
                        sum((c["mean_latency_ms"] or 0) * c["calls"] for c in calls) / total_calls,
                        2,
                    )
                    if total_calls
                    else None,
                },
                "prompt_versions": [
                    {
                        "prompt_key": c["prompt_key"],
                        "prompt_version": c["prompt_version"],
                        **_llm_figures(c),
                        "reviews": _decision_counts(
                            version_decisions.get((agent, c["prompt_key"], c["prompt_version"]), [])
                        ),
                    }
                    for c in calls
                ],
            }
        )
    return result


__all__ = ["agent_metrics"]
