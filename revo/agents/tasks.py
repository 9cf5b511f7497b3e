"""Thin Celery entry points: take ids, call a service."""

from __future__ import annotations

import logging

from revo.agents import services
from revo.celery import app
from revo.core.tasks import TenantScopedTask

logger = logging.getLogger(__name__)


@app.task(
    base=TenantScopedTask,
    name="revo.agents.run",
    acks_late=True,
    reject_on_worker_lost=True,
)
def agent_run_task(run_id: str) -> dict:
    outcome = services.agent_run_execute(run_id=run_id)
    return {"run_id": run_id, "status": outcome.run.status, "executed": outcome.executed}


@app.task(base=TenantScopedTask, name="revo.agents.sweep")
def runs_sweep_task() -> dict:
    return services.runs_sweep()


@app.task(base=TenantScopedTask, name="revo.agents.scheduled_run")
def scheduled_run_task(agent: str, period_minutes: int = 60, options: dict | None = None) -> dict:
    """Started by the tenant's beat schedule. The idempotency key names the schedule slot,
    so a slot fired twice (beat restarted, clock skew) still makes one run; a slot whose
    previous run of the same work is still going makes none (that run carries on)."""
    slot = services.schedule_slot(period_minutes=period_minutes)
    phase = (options or {}).get("phase", "all")
    key = f"schedule:{agent}:{phase}:{slot}"
    created = services.agent_run_create(
        agent=agent, trigger="schedule", idempotency_key=key, options=options, unless_active=True
    )
    if not created.created and created.run.idempotency_key != key:
        logger.info(
            "scheduled run skipped: the previous one is still %s",
            created.run.status,
            extra={"event": "agent_run.schedule_skipped", "active_run_id": str(created.run.run_id)},
        )
    return {"run_id": str(created.run.run_id), "created": created.created}
