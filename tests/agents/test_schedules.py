from __future__ import annotations

import json

from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from revo.agents import services
from revo.agents.models import AgentRun
from revo.agents.tasks import scheduled_run_task


def test_setup_schedules_creates_tenant_defaults_and_is_idempotent(tenant, capsys):
    call_command("setup_schedules", "--tenant", "test")
    first = capsys.readouterr().out
    snapshot = list(PeriodicTask.objects.order_by("name").values())
    call_command("setup_schedules", "--tenant", "test")
    second = capsys.readouterr().out

    assert "5 created" in first
    assert "0 created, 0 updated, 5 unchanged" in second
    assert list(PeriodicTask.objects.order_by("name").values()) == snapshot
    dunning = PeriodicTask.objects.get(name="test:finance-dunning-daily")
    assert (dunning.crontab.hour, dunning.crontab.minute) == ("9", "0")
    assert str(dunning.crontab.timezone) == "Europe/Berlin"
    assert json.loads(dunning.headers) == {"_schema_name": "test"}
    assert json.loads(dunning.kwargs)["agent"] == "finance"


def test_setup_schedules_restores_a_changed_schedule(tenant, capsys):
    call_command("setup_schedules", "--tenant", "test")
    PeriodicTask.objects.filter(name="test:sdr-hourly").update(enabled=False, queue="wrong")

    call_command("setup_schedules", "--tenant", "test")

    assert "1 updated" in capsys.readouterr().out
    task = PeriodicTask.objects.get(name="test:sdr-hourly")
    assert (task.enabled, task.queue) == (True, "agents.pipeline")


def test_scheduled_run_fired_twice_in_one_slot_makes_one_run(tenant, scripted_agent):
    scheduled_run_task.apply(kwargs={"agent": "scripted", "period_minutes": 60})
    scheduled_run_task.apply(kwargs={"agent": "scripted", "period_minutes": 60})

    run = AgentRun.objects.get()
    assert run.trigger == "schedule"
    assert run.idempotency_key.startswith("schedule:scripted:all:")


def test_schedule_slots_are_stable_within_a_period():
    from datetime import UTC, datetime

    a = services.schedule_slot(period_minutes=15, now=datetime(2026, 1, 1, 10, 1, tzinfo=UTC))
    b = services.schedule_slot(period_minutes=15, now=datetime(2026, 1, 1, 10, 14, tzinfo=UTC))
    c = services.schedule_slot(period_minutes=15, now=datetime(2026, 1, 1, 10, 15, tzinfo=UTC))

    assert a == b != c
