from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from revo.accounts.roles import Role
from revo.agents import services
from revo.agents.models import AgentRun, AgentRunItem, PipelineRun, RunOverride, RunStatus
from revo.audit.selectors import history_for
from revo.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.factories import UserFactory


def _run(agent: str = "scripted", **options):  # noqa: ANN003, ANN202
    return services.agent_run_create(agent=agent, trigger="cli", options=options, enqueue=False).run


def test_run_processes_items_and_records_each_outcome(tenant, scripted_agent):
    run = _run(items=["a", "b", "done", "boom", "refused", "c"])

    outcome = services.agent_run_execute(run_id=str(run.run_id))

    run.refresh_from_db()
    assert outcome.executed
    assert run.status == RunStatus.SUCCEEDED
    assert (run.seen, run.processed, run.skipped, run.failed) == (6, 3, 1, 2)
    assert run.artifacts_created == 3
    assert run.attempts == 1
    assert scripted_agent.processed == ["a", "b", "c"]
    failures = AgentRunItem.objects.filter(run=run, outcome="failed").order_by("id")
    assert [(f.item_id, f.error["type"]) for f in failures] == [
        ("boom", "ValueError"),
        ("refused", "InvalidInput"),
    ]
    transitions = [(t.from_state, t.to_state) for t in history_for(run)]
    assert transitions == [("queued", "running"), ("running", "succeeded")]


def test_limit_bounds_the_items_of_a_run(tenant, scripted_agent):
    run = services.agent_run_create(
        agent="scripted",
        trigger="cli",
        limit=2,
        options={"items": ["a", "b", "c"]},
        enqueue=False,
    ).run

    services.agent_run_execute(run_id=str(run.run_id))

    assert scripted_agent.processed == ["a", "b"]


def test_the_same_run_executed_twice_runs_once(tenant, scripted_agent):
    run = _run(items=["a"])

    first = services.agent_run_execute(run_id=str(run.run_id))
    second = services.agent_run_execute(run_id=str(run.run_id))

    assert first.executed
    assert not second.executed
    assert scripted_agent.processed == ["a"]


def test_idempotency_key_returns_the_first_run(tenant, scripted_agent):
    first = services.agent_run_create(
        agent="scripted", trigger="api", idempotency_key="k-1", enqueue=False
    )
    second = services.agent_run_create(
        agent="scripted", trigger="api", idempotency_key="k-1", enqueue=False
    )

    assert first.created
    assert not second.created
    assert second.run.pk == first.run.pk
    assert AgentRun.objects.count() == 1


def test_unknown_agent_is_refused(tenant):
    with pytest.raises(InvalidInput, match="unknown agent"):
        services.agent_run_create(agent="nope", trigger="cli", enqueue=False)


def test_retryable_error_schedules_a_retry_with_backoff(
    tenant, scripted_agent, django_capture_on_commit_callbacks
):
    run = _run(items=["a", "down", "b"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = services.agent_run_execute(run_id=str(run.run_id))

    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    assert run.attempts == 1
    assert outcome.retry_in is not None
    assert 0 <= outcome.retry_in <= 10
    assert len(callbacks) == 1  # the retry is enqueued only on commit
    assert run.error_payload["type"] == "LLMConnectionError"
    assert [t.to_state for t in history_for(run)] == ["running", "failed", "queued"]


def test_retry_then_success_skips_nothing_twice(tenant, scripted_agent):
    run = _run(items=["a", "down"])
    services.agent_run_execute(run_id=str(run.run_id))
    run.refresh_from_db()
    run.options = {"items": ["a", "b"]}  # the model server is back
    run.save(update_fields=["options"])

    services.agent_run_execute(run_id=str(run.run_id))

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempts == 2


def test_retries_exhausted_leave_the_run_dead_with_its_error(tenant, scripted_agent, settings):
    settings.AGENT_RUN_MAX_ATTEMPTS = 2
    run = _run(items=["down"])

    services.agent_run_execute(run_id=str(run.run_id))
    services.agent_run_execute(run_id=str(run.run_id))

    run.refresh_from_db()
    assert run.status == RunStatus.DEAD
    assert run.attempts == 2
    assert run.error_payload["type"] == "LLMConnectionError"
    assert run.error_payload["retryable"] is True


def test_dead_run_can_be_redriven(tenant, scripted_agent, settings):
    settings.AGENT_RUN_MAX_ATTEMPTS = 1
    admin = UserFactory(role=Role.ADMIN)
    run = _run(items=["down"])
    services.agent_run_execute(run_id=str(run.run_id))

    redriven = services.agent_run_retry(run_id=str(run.run_id), by=admin)

    assert redriven.status == RunStatus.QUEUED
    assert redriven.attempts == 0
    assert redriven.trigger == "retry"


def test_retrying_a_succeeded_run_is_a_conflict(tenant, scripted_agent):
    run = _run(items=["a"])
    services.agent_run_execute(run_id=str(run.run_id))

    with pytest.raises(Conflict, match="only dead or failed"):
        services.agent_run_retry(run_id=str(run.run_id), by=None)


def test_unknown_run_id_is_not_found(tenant):
    with pytest.raises(NotFound):
        services.agent_run_retry(run_id="not-a-uuid", by=None)


def test_override_needs_an_admin_and_a_reason_and_is_audited(tenant, scripted_agent, settings):
    settings.AGENT_RUN_MAX_ATTEMPTS = 1
    run = _run(items=["down"])
    services.agent_run_execute(run_id=str(run.run_id))
    admin = UserFactory(role=Role.ADMIN)

    with pytest.raises(PermissionDenied):
        services.agent_run_override(
            run_id=str(run.run_id),
            action="mark_succeeded",
            by=UserFactory(role=Role.SALES),
            reason="done by hand",
        )
    with pytest.raises(InvalidInput, match="reason"):
        services.agent_run_override(
            run_id=str(run.run_id), action="mark_succeeded", by=admin, reason=" "
        )
    override = services.agent_run_override(
        run_id=str(run.run_id), action="mark_succeeded", by=admin, reason="sent by hand"
    )

    assert (override.from_status, override.to_status) == ("dead", "succeeded")
    assert RunOverride.objects.get().reason == "sent by hand"
    last = list(history_for(run))[-1]
    assert (last.to_state, last.by_user, last.reason) == ("succeeded", admin, "sent by hand")


def test_cancelled_run_is_not_executed(tenant, scripted_agent):
    admin = UserFactory(role=Role.ADMIN)
    run = _run(items=["a"])
    services.agent_run_override(run_id=str(run.run_id), action="cancel", by=admin, reason="no")

    assert not services.agent_run_execute(run_id=str(run.run_id)).executed
    assert scripted_agent.processed == []


def test_sweeper_requeues_lost_queued_runs_and_reclaims_vanished_workers(
    tenant, scripted_agent, django_capture_on_commit_callbacks
):
    lost = _run(items=["a"])
    AgentRun.objects.filter(pk=lost.pk).update(queued_at=timezone.now() - timedelta(hours=1))
    crashed = _run(items=["b"])
    services._claim(str(crashed.run_id), "worker-1")
    AgentRun.objects.filter(pk=crashed.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    fresh = _run(items=["c"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        counts = services.runs_sweep()

    assert counts == {"requeued": 1, "reclaimed": 1}
    assert len(callbacks) == 2
    crashed.refresh_from_db()
    assert crashed.status == RunStatus.QUEUED
    assert crashed.error_payload["type"] == "WorkerLost"
    fresh.refresh_from_db()
    assert fresh.status == RunStatus.QUEUED


def test_a_redelivered_message_takes_over_a_run_whose_worker_vanished(tenant, scripted_agent):
    run = _run(items=["a"])
    services._claim(str(run.run_id), "worker-1")
    AgentRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    outcome = services.agent_run_execute(run_id=str(run.run_id), worker="worker-2")

    assert outcome.executed
    run.refresh_from_db()
    assert (run.status, run.worker, run.attempts) == ("succeeded", "worker-2", 2)


def test_pipeline_runs_its_stages_in_order(
    tenant, scripted_agent, django_capture_on_commit_callbacks
):
    created = services.pipeline_run_create(
        trigger="cli", agents=["scripted", "scripted"], sync=True
    )
    pipeline = created.run
    first = pipeline.agent_runs.get()

    with django_capture_on_commit_callbacks(execute=False):
        services.agent_run_execute(run_id=str(first.run_id))
    second = pipeline.agent_runs.get(stage_index=1)
    services.agent_run_execute(run_id=str(second.run_id))

    pipeline.refresh_from_db()
    assert pipeline.status == RunStatus.SUCCEEDED
    assert PipelineRun.objects.count() == 1


def test_a_task_without_a_tenant_refuses_to_run(db):
    from revo.agents.tasks import agent_run_task
    from revo.core.tasks import TenantRequired

    result = agent_run_task.apply(args=["00000000-0000-0000-0000-000000000000"])

    assert isinstance(result.result, TenantRequired)


def test_the_runs_admin_redrives_a_dead_run_and_leaves_a_succeeded_one(
    tenant, tenant_client, scripted_agent, settings, django_capture_on_commit_callbacks
):
    # given a dead run and a succeeded one, and an admin in the runs admin
    settings.AGENT_RUN_MAX_ATTEMPTS = 1
    dead = _run(items=["down"])
    services.agent_run_execute(run_id=str(dead.run_id))
    done = _run(items=["a"])
    services.agent_run_execute(run_id=str(done.run_id))
    tenant_client.force_login(UserFactory(role=Role.ADMIN))

    # when both are re-driven from the list's action
    with django_capture_on_commit_callbacks() as enqueued:
        response = tenant_client.post(
            "/admin/agents/agentrun/",
            {"action": "redrive", "_selected_action": [dead.pk, done.pk]},
            follow=True,
        )

    # then the dead one is queued again as a retry (and sent), the other left as it was
    assert response.status_code == 200
    assert "1 run(s) re-driven; 1 not dead or failed." in response.content.decode()
    dead.refresh_from_db()
    done.refresh_from_db()
    assert (dead.status, dead.trigger) == (RunStatus.QUEUED, "retry")
    assert done.status == RunStatus.SUCCEEDED
    assert len(enqueued) == 1
