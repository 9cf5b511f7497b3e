"""Thin Celery entry points: take ids, call a service."""

from __future__ import annotations

from revo.agents import services
from revo.celery import app
from revo.core.tasks import TenantScopedTask


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
