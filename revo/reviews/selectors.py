"""Reads of the review queue: what is pending, in which order, and everything the review
page of one artifact shows. The queue itself reads only ``ReviewItem`` columns, so a page
costs the same number of queries whatever its size and whatever the artifact types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import F, Model, OrderBy, Q, QuerySet
from django.utils import timezone

from revo.audit.models import StateTransition
from revo.audit.selectors import history_for
from revo.reviews import registry
from revo.reviews.models import ReviewableArtifact, ReviewDecision, ReviewItem, ReviewStatus

# Oldest first: the default, so nothing waits forever.
OLDEST_FIRST: tuple[str | OrderBy, ...] = ("created_at", "id")
# Riskiest first: lowest (or unknown) confidence, then the largest amount at stake.
RISKIEST_FIRST: tuple[str | OrderBy, ...] = (
    F("confidence").asc(nulls_first=True),
    F("amount").desc(nulls_last=True),
    "id",
)
ORDERINGS: dict[str, tuple[str | OrderBy, ...]] = {
    "oldest": OLDEST_FIRST,
    "risk": RISKIEST_FIRST,
}

CONFIDENCE_BANDS: dict[str, tuple[str, Q]] = {
    "low": ("below 0.5", Q(confidence__lt="0.5")),
    "medium": ("0.5 to 0.8", Q(confidence__gte="0.5", confidence__lt="0.8")),
    "high": ("0.8 and above", Q(confidence__gte="0.8")),
    "none": ("no confidence", Q(confidence__isnull=True)),
}

AGE_BANDS: dict[str, tuple[str, timedelta | None, timedelta | None]] = {
    # key: (label, at least this old, younger than this)
    "hour": ("less than an hour", None, timedelta(hours=1)),
    "day": ("less than a day", None, timedelta(days=1)),
    "week": ("less than 7 days", None, timedelta(days=7)),
    "older": ("7 days or more", timedelta(days=7), None),
}


def review_queue(
    *,
    status: str | None = ReviewStatus.PENDING_REVIEW,
    entity_type: str | None = None,
    ordering: str = "oldest",
) -> QuerySet[ReviewItem]:
    """The queue's rows (all statuses when ``status`` is None) in the named ordering."""
    items = ReviewItem.objects.all()
    if status:
        items = items.filter(status=status)
    if entity_type:
        items = items.filter(entity_type=entity_type)
    return items.order_by(*ORDERINGS.get(ordering, OLDEST_FIRST))


def confidence_band_filter(items: QuerySet[ReviewItem], band: str) -> QuerySet[ReviewItem]:
    if band not in CONFIDENCE_BANDS:
        return items
    return items.filter(CONFIDENCE_BANDS[band][1])


def age_band_filter(
    items: QuerySet[ReviewItem], band: str, *, now: Any = None
) -> QuerySet[ReviewItem]:
    if band not in AGE_BANDS:
        return items
    _, at_least, younger_than = AGE_BANDS[band]
    now = now or timezone.now()
    if younger_than is not None:
        items = items.filter(created_at__gt=now - younger_than)
    if at_least is not None:
        items = items.filter(created_at__lte=now - at_least)
    return items


def review_agents() -> list[str]:
    """The agents that wrote queue rows (for the queue's agent filter). A plain DISTINCT
    reads every row; this skips from one agent to the next through the agent index, so
    it costs a few index probes however long the queue is."""
    table = connection.ops.quote_name(ReviewItem._meta.db_table)
    sql = f"""
        WITH RECURSIVE agents(agent) AS (
            (SELECT agent FROM {table} WHERE agent > '' ORDER BY agent LIMIT 1)
            UNION ALL
            SELECT (SELECT t.agent FROM {table} t WHERE t.agent > a.agent
                    ORDER BY t.agent LIMIT 1)
            FROM agents a WHERE a.agent IS NOT NULL
        )
        SELECT agent FROM agents WHERE agent IS NOT NULL
    """  # noqa: S608 - the only interpolation is the model's own quoted table name
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def review_entity_types() -> list[tuple[str, str]]:
    """(entity type, label) of every registered artifact type."""
    return [
        (t.entity_type, str(t.model._meta.verbose_name).capitalize())
        for t in registry.artifact_types()
    ]


def review_artifact_for(item: ReviewItem) -> ReviewableArtifact | None:
    """The artifact behind a queue row (None if it no longer exists)."""
    artifact_type = registry.artifact_type(item.entity_type)
    model = artifact_type.model if artifact_type else item.content_type.model_class()
    if model is None:
        return None
    return model._base_manager.filter(pk=item.object_id).first()


@dataclass(frozen=True)
class HistoryEntry:
    at: Any
    kind: str  # "transition" or "decision"
    summary: str
    actor: str
    reason: str
    changes: dict[str, tuple[Any, Any]]


def _actor(by_user: Model | None, by_run_id: Any) -> str:
    if by_user is not None:
        return str(by_user)
    if by_run_id:
        return f"agent run {by_run_id}"
    return "system"


def review_history(*, item: ReviewItem, artifact: ReviewableArtifact) -> list[HistoryEntry]:
    """The artifact's state transitions and the queue's decisions, oldest first."""
    entries: list[HistoryEntry] = []
    transitions: QuerySet[StateTransition] = history_for(artifact)
    for row in transitions:
        entries.append(
            HistoryEntry(
                at=row.at,
                kind="transition",
                summary=f"{row.field}: {row.from_state or '—'} → {row.to_state} ({row.transition})",
                actor=_actor(row.by_user, row.by_run_id),
                reason=row.reason,
                changes={},
            )
        )
    decisions: QuerySet[ReviewDecision] = item.decisions.select_related("by_user")
    for decision in decisions:
        changes = {
            name: (decision.before.get(name), decision.after.get(name))
            for name in sorted(set(decision.before) | set(decision.after))
        }
        entries.append(
            HistoryEntry(
                at=decision.at,
                kind="decision",
                summary=f"decision: {decision.get_decision_display()}",
                actor=_actor(decision.by_user, decision.by_run_id),
                reason=decision.reason,
                changes=changes,
            )
        )
    entries.sort(key=lambda entry: (entry.at, entry.kind != "transition"))
    return entries


__all__ = [
    "AGE_BANDS",
    "CONFIDENCE_BANDS",
    "OLDEST_FIRST",
    "ORDERINGS",
    "RISKIEST_FIRST",
    "HistoryEntry",
    "age_band_filter",
    "confidence_band_filter",
    "review_agents",
    "review_artifact_for",
    "review_entity_types",
    "review_history",
    "review_queue",
]
