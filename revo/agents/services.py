"""Runs: create (idempotently), execute, retry with backoff, bury, re-drive, override,
and the sweeper that rescues runs from lost messages and vanished workers."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.agents import base
from revo.agents.lock_objects import agent_run_for_update, pipeline_run_for_update
from revo.agents.models import (
    AgentRun,
    PipelineRun,
    RunOverride,
    RunStatus,
    Trigger,
)
from revo.agents.run_support import (
    ItemLog,
    active_overlapping_run,
    backoff_seconds,
    done_in_this_attempt,
    slice_seconds,
)
from revo.audit.services import transition_apply
from revo.core import context as log_context
from revo.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied

logger = logging.getLogger(__name__)


def _enqueue_agent_run(run: AgentRun, *, countdown: float | None = None) -> None:
    """Send the run's task once the current transaction commits."""
    from revo.agents.tasks import agent_run_task

    run_id, queue = str(run.run_id), f"agents.{run.agent}"

    def send() -> None:
        agent_run_task.apply_async(args=[run_id], queue=queue, countdown=countdown)

    transaction.on_commit(send)


def _validate_agent(name: str) -> str:
    if name not in base.agent_names():
        raise InvalidInput(f"unknown agent {name!r}", details={"known_agents": base.agent_names()})
    return name


def _options(limit: int | None, options: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(options or {})
    if limit is not None:
        if limit < 1:
            raise InvalidInput("limit must be a positive number")
        merged["limit"] = limit
    return merged


@dataclass(frozen=True)
class Created:
    run: Any
    created: bool


def agent_run_create(
    *,
    agent: str,
    trigger: str,
    requested_by: User | None = None,
    idempotency_key: str | None = None,
    limit: int | None = None,
    options: dict[str, Any] | None = None,
    enqueue: bool = True,
    sync: bool = False,
    unless_active: bool = False,
) -> Created:
    """Create a queued agent run and enqueue it after commit (``sync``: the caller executes
    it in-process instead). The same idempotency key returns the first run instead of
    creating another. ``unless_active`` (schedules): while a run of the same agent whose
    work overlaps (same phase, or either covers all phases) is still queued, running or
    waiting for its retry, that run is returned and none is created, so slow runs never
    pile up behind each other."""
    _validate_agent(agent)
    Trigger(trigger)
    if idempotency_key:
        existing = AgentRun.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            return Created(existing, False)
    try:
        with transaction.atomic():
            if unless_active:
                active = active_overlapping_run(agent, (options or {}).get("phase"))
                if active is not None:
                    return Created(active, False)
            run = AgentRun.objects.create(
                agent=agent,
                trigger=trigger,
                requested_by=requested_by,
                idempotency_key=idempotency_key or None,
                options=_options(limit, {**(options or {}), **({"sync": True} if sync else {})}),
                max_attempts=settings.AGENT_RUN_MAX_ATTEMPTS,
            )
            if enqueue and not sync:
                _enqueue_agent_run(run)
    except IntegrityError:
        # Another request with the same key won the race: hand back its run.
        return Created(AgentRun.objects.get(idempotency_key=idempotency_key), False)
    return Created(run, True)


def pipeline_run_create(
    *,
    trigger: str,
    agents: list[str] | None = None,
    requested_by: User | None = None,
    idempotency_key: str | None = None,
    limit: int | None = None,
    sync: bool = False,
) -> Created:
    """A pipeline runs its stages in order, one ``AgentRun`` each; the next stage is
    created and enqueued when the previous one succeeds."""
    stages = agents or base.agent_names()
    for name in stages:
        _validate_agent(name)
    Trigger(trigger)
    if idempotency_key:
        existing = PipelineRun.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            return Created(existing, False)
    try:
        with transaction.atomic():
            pipeline = PipelineRun.objects.create(
                trigger=trigger,
                requested_by=requested_by,
                idempotency_key=idempotency_key or None,
                stages=stages,
                options=_options(limit, {"sync": True} if sync else None),
            )
            transition_apply(instance=pipeline, transition="start", by=requested_by)
            _create_stage(pipeline, 0, enqueue=not sync)
    except IntegrityError:
        return Created(PipelineRun.objects.get(idempotency_key=idempotency_key), False)
    return Created(pipeline, True)


def _create_stage(pipeline: PipelineRun, index: int, *, enqueue: bool) -> AgentRun:
    run = AgentRun.objects.create(
        agent=pipeline.stages[index],
        pipeline=pipeline,
        stage_index=index,
        trigger=pipeline.trigger,
        requested_by=pipeline.requested_by,
        options=dict(pipeline.options),
        max_attempts=settings.AGENT_RUN_MAX_ATTEMPTS,
    )
    if enqueue:
        _enqueue_agent_run(run)
    return run


# --------------------------------------------------------------------------- execution


@dataclass(frozen=True)
class ExecutionOutcome:
    run: AgentRun
    executed: bool
    retry_in: float | None = None
    result: base.AgentResult | None = None
    handed_back: bool = False


def _claim(run_id: str, worker: str) -> AgentRun | None:
    """Move the run queued → running, or take over a running run whose worker stopped
    sending heartbeats (a redelivered message after a crash). Anything else: not ours."""
    stale_before = timezone.now() - timedelta(seconds=settings.AGENT_HEARTBEAT_TIMEOUT)
    with transaction.atomic():
        run = agent_run_for_update(run_id).first()
        if run is None:
            raise NotFound(f"run {run_id} does not exist")
        last_sign_of_life = run.heartbeat_at or run.started_at or run.queued_at
        if run.status == RunStatus.RUNNING and last_sign_of_life < stale_before:
            transition_apply(instance=run, transition="reclaim", reason="worker vanished")
        if run.status != RunStatus.QUEUED:
            return None
        run.worker = worker
        run.heartbeat_at = timezone.now()
        transition_apply(
            instance=run,
            transition="start",
            update_fields=["attempts", "started_at", "finished_at", "worker", "heartbeat_at"],
        )
        return run


def agent_run_execute(
    *,
    run_id: str,
    worker: str | None = None,
    progress: base.ProgressCallback | None = None,
    on_selected: Callable[[AgentRun, int], None] | None = None,
) -> ExecutionOutcome:
    """Execute one agent run (the Celery task and ``run_pipeline --sync`` both call this).
    Idempotent: a run that is not queued (already done, or running elsewhere) is left alone.
    """
    worker = worker or socket.gethostname()
    run = _claim(run_id, worker)
    if run is None:
        return ExecutionOutcome(AgentRun.objects.get(run_id=run_id), executed=False)
    agent = base.get_agent(run.agent)
    item_log = ItemLog(run)
    # On a worker the run works for one time slice, then hands itself back (in-process
    # ``--sync`` runs have no time limit and go on to the end).
    slice_ends = None if run.options.get("sync") else time.monotonic() + slice_seconds()

    def on_item(item_type: str, item_id: str, result: base.ItemResult) -> None:
        item_log.add(item_type, item_id, result)
        if progress is not None:
            progress(run, item_type, item_id, result)

    def selected(total: int) -> None:
        AgentRun.objects.filter(pk=run.pk).update(items_total=total)
        run.items_total = total
        if on_selected is not None:
            on_selected(run, total)

    def slice_used() -> bool:
        # At least one item per slice, so a run always moves on.
        return slice_ends is not None and item_log.added > 0 and time.monotonic() >= slice_ends

    ctx = base.AgentContext(
        run=run,
        limit=run.options.get("limit"),
        options=run.options,
        on_item=on_item,
        should_stop=lambda: item_log.cancelled or slice_used(),
        done=done_in_this_attempt(run),
        concurrency=settings.AGENT_ITEM_CONCURRENCY,
        on_selected=selected,
    )
    with log_context.bind(run_id=run.run_id, agent=run.agent):
        try:
            result = agent.run(ctx)
        except SoftTimeLimitExceeded:
            # The slice overran (one item took very long): the item in progress rolled
            # back; the run goes on in a fresh task, that item first.
            item_log.flush()
            return _hand_back(run, reason="soft time limit reached mid-item")
        except Exception as exc:
            item_log.flush()
            return _after_failure(run, exc)
        item_log.flush()
        if result.stopped and not item_log.cancelled:
            return _hand_back(run, reason=f"time slice used after {item_log.added} item(s)")
        return _after_success(run, result)


def _hand_back(run: AgentRun, *, reason: str) -> ExecutionOutcome:
    """running → queued between two items, enqueued again at once (after commit)."""
    with transaction.atomic():
        run = agent_run_for_update(str(run.run_id)).get()
        if run.status != RunStatus.RUNNING:  # cancelled meanwhile
            return ExecutionOutcome(run, executed=True)
        transition_apply(
            instance=run,
            transition="hand_back",
            reason=reason,
            update_fields=["queued_at", "attempts"],
        )
        _enqueue_agent_run(run)
    logger.info(
        "agent run handed back: %s",
        reason,
        extra={"event": "agent_run.handed_back"},
    )
    return ExecutionOutcome(run, executed=True, handed_back=True)


def _after_success(run: AgentRun, result: base.AgentResult) -> ExecutionOutcome:
    with transaction.atomic():
        run = agent_run_for_update(str(run.run_id)).get()
        if run.status == RunStatus.CANCELLED:
            return ExecutionOutcome(run, executed=True, result=result)
        transition_apply(
            instance=run, transition="succeed", update_fields=["finished_at", "error_payload"]
        )
        if run.pipeline_id:
            _pipeline_advance(run)
    logger.info(
        "agent run succeeded",
        extra={
            "event": "agent_run.succeeded",
            "seen": result.seen,
            "processed": result.processed,
            "failed": result.failed,
            "artifacts": result.artifacts_created,
        },
    )
    return ExecutionOutcome(run, executed=True, result=result)


def _after_failure(run: AgentRun, exc: Exception) -> ExecutionOutcome:
    payload = base.error_payload(exc)
    retryable = payload["retryable"]
    with transaction.atomic():
        run = agent_run_for_update(str(run.run_id)).get()
        if run.status != RunStatus.RUNNING:
            return ExecutionOutcome(run, executed=True)
        transition_apply(
            instance=run,
            transition="fail",
            args=[payload],
            reason=payload["message"][:500],
            update_fields=["finished_at", "error_payload"],
        )
        if retryable and run.attempts < run.max_attempts and not run.options.get("sync"):
            delay = backoff_seconds(run.attempts)
            transition_apply(instance=run, transition="requeue", update_fields=["queued_at"])
            _enqueue_agent_run(run, countdown=delay)
            retry_in = delay
        else:
            transition_apply(instance=run, transition="bury", update_fields=["finished_at"])
            if run.pipeline_id:
                _pipeline_fail(run)
            retry_in = None
    logger.warning(
        "agent run failed: %s",
        payload["message"][:200],
        extra={"event": "agent_run.failed", "retry_in": retry_in, "error": payload},
    )
    return ExecutionOutcome(run, executed=True, retry_in=retry_in)


def _pipeline_advance(run: AgentRun) -> None:
    pipeline = pipeline_run_for_update(str(run.pipeline.run_id)).get()
    if pipeline.status != RunStatus.RUNNING:
        return
    next_index = run.stage_index + 1
    if next_index < len(pipeline.stages):
        _create_stage(pipeline, next_index, enqueue=not pipeline.options.get("sync"))
    else:
        transition_apply(instance=pipeline, transition="succeed", update_fields=["finished_at"])


def _pipeline_fail(run: AgentRun) -> None:
    pipeline = pipeline_run_for_update(str(run.pipeline.run_id)).get()
    if pipeline.status == RunStatus.RUNNING:
        transition_apply(
            instance=pipeline,
            transition="fail",
            args=[{"stage": run.agent, "run_id": str(run.run_id), **run.error_payload}],
            update_fields=["finished_at", "error_payload"],
        )
        transition_apply(instance=pipeline, transition="bury", update_fields=["finished_at"])


# --------------------------------------------------------------------------- operators


def _get_run(run_id: str) -> AgentRun:
    try:
        uuid.UUID(str(run_id))
    except ValueError:
        raise NotFound(f"run {run_id} does not exist") from None
    run = agent_run_for_update(run_id).first()
    if run is None:
        raise NotFound(f"run {run_id} does not exist")
    return run


@transaction.atomic
def agent_run_retry(*, run_id: str, by: User | None) -> AgentRun:
    """Re-drive a dead run (or retry a failed one now): back to queued, enqueued."""
    run = _get_run(run_id)
    if run.status == RunStatus.DEAD:
        transition_apply(
            instance=run,
            transition="redrive",
            by=by,
            reason="re-driven",
            update_fields=["queued_at", "attempts"],
        )
    elif run.status == RunStatus.FAILED:
        transition_apply(instance=run, transition="requeue", by=by, update_fields=["queued_at"])
    else:
        raise Conflict(
            f"only dead or failed runs can be retried; this one is {run.status}",
            details={"status": run.status},
        )
    run.trigger = Trigger.RETRY
    run.save(update_fields=["trigger", "updated_at"])
    if run.pipeline_id:
        pipeline = pipeline_run_for_update(str(run.pipeline.run_id)).get()
        if pipeline.status == RunStatus.DEAD:
            transition_apply(
                instance=pipeline, transition="redrive", by=by, update_fields=["queued_at"]
            )
            transition_apply(instance=pipeline, transition="start", by=by)
    _enqueue_agent_run(run)
    return run


OVERRIDE_ACTIONS = {
    "cancel": ("cancel", "abort"),
    "mark_succeeded": ("override_succeed",),
    "mark_dead": ("bury",),
}


@transaction.atomic
def agent_run_override(*, run_id: str, action: str, by: User, reason: str) -> RunOverride:
    """An admin forces a run's state (cancel, mark succeeded, mark dead), with a reason;
    audited as a ``RunOverride`` and a state transition."""
    if by.role != Role.ADMIN:
        raise PermissionDenied("only an admin may override a run")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required to override a run")
    if action not in OVERRIDE_ACTIONS:
        raise InvalidInput(
            f"unknown override action {action!r}", details={"allowed": sorted(OVERRIDE_ACTIONS)}
        )
    run = _get_run(run_id)
    from_status = run.status
    candidates = OVERRIDE_ACTIONS[action]
    from revo.audit.services import allowed_transitions

    available = allowed_transitions(run)
    transition = next((name for name in candidates if name in available), candidates[0])
    transition_apply(
        instance=run, transition=transition, by=by, reason=reason, update_fields=["finished_at"]
    )
    return RunOverride.objects.create(
        run=run,
        action=action,
        from_status=from_status,
        to_status=run.status,
        reason=reason,
        by_user=by,
    )


def runs_sweep(*, now=None) -> dict[str, int]:  # noqa: ANN001
    """Rescue runs: re-enqueue those queued for too long (their message was lost, e.g. Redis
    restarted without persistence) and put back those whose worker stopped sending
    heartbeats (the worker was killed). Safe to run often and concurrently: each run is
    re-checked under its row lock, and execution itself is idempotent."""
    now = now or timezone.now()
    queued_before = now - timedelta(seconds=settings.AGENT_QUEUED_STALE_AFTER)
    stale_before = now - timedelta(seconds=settings.AGENT_HEARTBEAT_TIMEOUT)
    counts = {"requeued": 0, "reclaimed": 0}
    stuck = AgentRun.objects.filter(status=RunStatus.QUEUED, queued_at__lt=queued_before)
    for run_id in stuck.values_list("run_id", flat=True):
        with transaction.atomic():
            run = agent_run_for_update(str(run_id)).first()
            if run and run.status == RunStatus.QUEUED and run.queued_at < queued_before:
                run.queued_at = now
                run.save(update_fields=["queued_at", "updated_at"])
                _enqueue_agent_run(run)
                counts["requeued"] += 1
    vanished = AgentRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale_before)
    for run_id in vanished.values_list("run_id", flat=True):
        with transaction.atomic():
            run = agent_run_for_update(str(run_id)).first()
            if run and run.status == RunStatus.RUNNING and run.heartbeat_at < stale_before:
                payload = {
                    "type": "WorkerLost",
                    "message": f"no heartbeat from {run.worker or 'the worker'} since "
                    f"{run.heartbeat_at.isoformat()}",
                    "retryable": True,
                }
                transition_apply(
                    instance=run,
                    transition="fail",
                    args=[payload],
                    reason=payload["message"],
                    update_fields=["finished_at", "error_payload"],
                )
                if run.attempts < run.max_attempts:
                    transition_apply(
                        instance=run, transition="requeue", update_fields=["queued_at"]
                    )
                    _enqueue_agent_run(run)
                else:
                    transition_apply(instance=run, transition="bury", update_fields=["finished_at"])
                counts["reclaimed"] += 1
    return counts


def schedule_slot(*, period_minutes: int, now=None) -> str:  # noqa: ANN001
    """The start of the current schedule period, as a stable string (UTC)."""
    now = now or timezone.now()
    epoch_minutes = int(now.timestamp() // 60)
    start = epoch_minutes - epoch_minutes % max(1, period_minutes)
    return str(start)
