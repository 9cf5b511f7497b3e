from __future__ import annotations

import json

import pytest
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


def _fire(phase: str | None = None) -> dict:
    options = {"phase": phase} if phase else None
    return scheduled_run_task.apply(
        kwargs={"agent": "scripted", "period_minutes": 60, "options": options}
    ).get()


@pytest.mark.parametrize(
    ("active_phase", "fired_phase"),
    [("new_leads", "new_leads"), (None, "new_leads"), ("new_leads", None)],
    ids=["same-phase", "active-covers-all", "fired-covers-all"],
)
def test_a_schedule_firing_while_its_previous_run_is_active_makes_no_run(
    tenant, scripted_agent, active_phase, fired_phase
):
    # given a run of the same work still queued from an earlier slot
    options = {"phase": active_phase} if active_phase else None
    active = services.agent_run_create(agent="scripted", trigger="schedule", options=options).run

    # when the schedule fires again
    fired = _fire(fired_phase)

    # then that run carries on and no second one is created
    assert fired == {"run_id": str(active.run_id), "created": False}
    assert AgentRun.objects.count() == 1


def test_a_schedule_fires_again_once_the_previous_run_is_done(tenant, scripted_agent):
    active = services.agent_run_create(agent="scripted", trigger="schedule").run
    assert _fire()["created"] is False

    services.agent_run_execute(run_id=str(active.run_id))
    fired = _fire()

    assert fired["created"] is True
    assert AgentRun.objects.count() == 2


def test_other_work_of_the_same_agent_does_not_hold_a_schedule_back(tenant, scripted_agent):
    services.agent_run_create(
        agent="scripted", trigger="schedule", options={"phase": "followups_and_replies"}
    )

    assert _fire("new_leads")["created"] is True


def test_an_explicit_run_is_created_even_while_a_scheduled_one_is_active(tenant, scripted_agent):
    services.agent_run_create(agent="scripted", trigger="schedule")

    explicit = services.agent_run_create(agent="scripted", trigger="api")

    assert explicit.created is True
