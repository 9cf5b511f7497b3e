"""Per-tenant default schedules (django-celery-beat rows in the tenant's own schema, run by
the tenant-aware beat scheduler)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection, transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


@dataclass(frozen=True)
class ScheduleSpec:
    key: str
    task: str
    queue: str
    kwargs: dict
    crontab: dict | None = None  # minute/hour/... in the tenant's time zone
    every_minutes: int | None = None


DEFAULT_SCHEDULES = (
    ScheduleSpec(
        key="sdr-hourly",
        task="revo.agents.scheduled_run",
        queue="agents.pipeline",
        kwargs={"agent": "sdr", "period_minutes": 60, "options": {"phase": "new_leads"}},
        crontab={"minute": "0"},
    ),
    ScheduleSpec(
        key="sdr-followups-and-replies",
        task="revo.agents.scheduled_run",
        queue="agents.pipeline",
        kwargs={
            "agent": "sdr",
            "period_minutes": 15,
            "options": {"phase": "followups_and_replies"},
        },
        crontab={"minute": "*/15"},
    ),
    ScheduleSpec(
        key="finance-dunning-daily",
        task="revo.agents.scheduled_run",
        queue="agents.pipeline",
        kwargs={"agent": "finance", "period_minutes": 1440, "options": {"phase": "dunning"}},
        crontab={"minute": "0", "hour": "9"},
    ),
    ScheduleSpec(
        key="outbox-sweeper",
        task="mail.sweep_outbox",
        queue="mail",
        kwargs={},
        every_minutes=5,
    ),
    ScheduleSpec(
        key="runs-sweeper",
        task="revo.agents.sweep",
        queue="agents.pipeline",
        kwargs={},
        every_minutes=5,
    ),
)


def _schedule_for(spec: ScheduleSpec, timezone_name: str) -> dict:
    if spec.every_minutes:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=spec.every_minutes, period=IntervalSchedule.MINUTES
        )
        return {"interval": interval, "crontab": None}
    fields = {
        "minute": "*",
        "hour": "*",
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        **(spec.crontab or {}),
    }
    crontab, _ = CrontabSchedule.objects.get_or_create(timezone=timezone_name, **fields)
    return {"crontab": crontab, "interval": None}


@transaction.atomic
def schedules_ensure() -> dict[str, int]:
    """Create or correct the current tenant's default schedules. Running it again changes
    nothing. Names carry the schema, since beat requires unique names across schemas."""
    tenant = connection.tenant
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for spec in DEFAULT_SCHEDULES:
        name = f"{tenant.schema_name}:{spec.key}"
        wanted = {
            "task": spec.task,
            "kwargs": json.dumps(spec.kwargs, sort_keys=True),
            "queue": spec.queue,
            "headers": json.dumps({"_schema_name": tenant.schema_name}),
            "enabled": True,
            **_schedule_for(spec, tenant.timezone),
        }
        task = PeriodicTask.objects.filter(name=name).first()
        if task is None:
            PeriodicTask.objects.create(name=name, **wanted)
            counts["created"] += 1
            continue
        changed = [field for field, value in wanted.items() if getattr(task, field) != value]
        if changed:
            for field in changed:
                setattr(task, field, wanted[field])
            task.save()
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts
