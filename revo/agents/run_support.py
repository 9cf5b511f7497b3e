"""What run execution leans on: the batched per-item trail (also the heartbeat and the
cancellation check), time slices, the retry backoff, and the check that keeps schedules
from piling runs up."""

from __future__ import annotations

import random
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from revo.agents import base
from revo.agents.models import ACTIVE_STATUSES, AgentRun, AgentRunItem, RunStatus

_ALL_PHASES = {None, "", "all"}


def active_overlapping_run(agent: str, phase: str | None) -> AgentRun | None:
    """The oldest active run of ``agent`` overlapping ``phase``. Serialised per tenant and
    agent by a transaction-scoped advisory lock, so two schedules firing at once cannot
    both see none."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"revo.agent_run:{connection.schema_name}:{agent}"],
        )
    active = AgentRun.objects.filter(agent=agent, status__in=ACTIVE_STATUSES).order_by(
        "queued_at", "id"
    )
    for run in active:
        other = run.options.get("phase")
        if phase in _ALL_PHASES or other in _ALL_PHASES or other == phase:
            return run
    return None


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter: uniform in [0, base * 2**(attempt-1)], capped."""
    ceiling = min(
        settings.AGENT_RETRY_BACKOFF_MAX, settings.AGENT_RETRY_BACKOFF_BASE * 2 ** (attempt - 1)
    )
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


class ItemLog:
    """Buffers per-item outcomes and flushes them in batches: one insert and one counter
    update per batch, which also serves as the heartbeat and the cancellation check."""

    def __init__(self, run: AgentRun, *, batch: int = 50, interval_s: float = 1.0) -> None:
        self.run = run
        self.batch = batch
        self.interval_s = interval_s
        self.pending: list[AgentRunItem] = []
        self.counters = dict.fromkeys(
            ("seen", "processed", "skipped", "failed", "artifacts_created", "auto_approved"), 0
        )
        self.last_flush = time.monotonic()
        self.cancelled = False
        self.added = 0

    def add(self, item_type: str, item_id: str, result: base.ItemResult) -> None:
        self.added += 1
        self.pending.append(
            AgentRunItem(
                run=self.run,
                item_type=item_type,
                item_id=item_id,
                outcome=result.outcome,
                detail=result.detail,
                error=result.error,
                artifacts=result.artifacts,
                attempt=self.run.attempts,
            )
        )
        self.counters["seen"] += 1
        self.counters[result.outcome] += 1
        self.counters["artifacts_created"] += result.artifacts
        self.counters["auto_approved"] += result.auto_approved
        if len(self.pending) >= self.batch or time.monotonic() - self.last_flush > self.interval_s:
            self.flush()

    def flush(self) -> None:
        with transaction.atomic():
            if self.pending:
                AgentRunItem.objects.bulk_create(self.pending)
            updates = {k: F(k) + v for k, v in self.counters.items() if v}
            AgentRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now(), **updates)
        status = AgentRun.objects.values_list("status", flat=True).get(pk=self.run.pk)
        self.cancelled = status == RunStatus.CANCELLED
        self.pending = []
        self.counters = dict.fromkeys(self.counters, 0)
        self.last_flush = time.monotonic()


def slice_seconds() -> float:
    return float(settings.AGENT_RUN_SLICE_SECONDS)


def done_in_this_attempt(run: AgentRun) -> frozenset[str]:
    """Items an earlier slice of this attempt recorded (a new attempt retries failed ones)."""
    return frozenset(
        AgentRunItem.objects.filter(run=run, attempt=run.attempts).values_list("item_id", flat=True)
    )
