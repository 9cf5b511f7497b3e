"""Faults around SDR runs executed by a real Celery worker subprocess (``tests/workers.py``)
over the fake Ollama server: a model server that fails then recovers, retries exhausted and
a re-drive, a long run going on in time slices, a warm shutdown mid-run, a worker killed
mid-run, Redis restarted mid-run, a run enqueued twice, and a task sent without a tenant.
Every lead must end up scored once and drafted once."""

# ruff: noqa: F811 - the worker fixtures are imported into this module by name
from __future__ import annotations

import pytest

from revo.accounts.models import User
from revo.agents import services
from revo.agents.models import AgentRun, AgentRunItem
from revo.agents.tasks import agent_run_task
from revo.leads.models import Lead, OutreachMessage
from tests.agents.helpers import reference_data
from tests.agents.worker_support import (
    agent_worker_env,
    broker_url,
    each_lead_once_problems,
    llm_calls,
    model_server,  # noqa: F401 - fixture
    private_redis,
    run_status,
    run_transitions,
    wait_for_run,
)
from tests.fakes.ollama import server_error
from tests.leads.factories import LeadFactory
from tests.workers import celery_worker, committed_tenant, wait_until  # noqa: F401 - fixtures

SDR_QUEUE = "agents.sdr"


def _leads(count: int) -> list[Lead]:
    return [
        LeadFactory(title="VP Sales", notes="Industry: software\nEmployees: 300")
        for _ in range(count)
    ]


def _sdr_run(**options: object) -> AgentRun:
    """A new-leads SDR run, committed and enqueued (the connection is in autocommit)."""
    return services.agent_run_create(
        agent="sdr", trigger="api", options={"phase": "new_leads", **options}
    ).run


def _processed_so_far(run: AgentRun, at_least: int) -> bool:
    return AgentRun.objects.get(pk=run.pk).processed >= at_least


# --------------------------------------------------------------------------- in-process


def test_the_exactly_once_check_reports_a_repeated_score_and_a_missing_lead(tenant):
    # given two leads: one scored twice (and drafted), one never scored nor drafted
    twice, never = _leads(2)
    from revo.leads.services import lead_score_set, outreach_draft_create

    lead_score_set(lead=twice, score=50, reasons=["first"])
    lead_score_set(lead=twice, score=60, reasons=["again"])
    outreach_draft_create(lead=twice, subject="Hello", body="Hi there", sequence_step=1)

    # when the leads are checked
    problems = each_lead_once_problems([twice, never])

    # then every breach is named
    assert problems == [
        f"lead {twice.pk}: 2 scores",
        f"lead {never.pk}: 0 scores",
        f"lead {never.pk}: 0 first-touch drafts",
        "1 leads without a score",
    ]


# --------------------------------------------------------------------------- worker


@pytest.mark.slow
def test_a_run_retries_after_a_model_server_error_and_then_succeeds(
    committed_tenant, celery_worker, model_server
):
    # given a worker on a model server whose first answer is a 500
    celery_worker(queues=[SDR_QUEUE], env=agent_worker_env(model_server.url))
    reference_data()
    leads = _leads(3)
    model_server.queue_chat(server_error(500))

    # when a run is enqueued
    run = _sdr_run()

    # then the first attempt fails, the second (after a short backoff) does the work
    done = wait_for_run(run, "succeeded", "dead")
    assert (done.status, done.attempts) == ("succeeded", 2)
    assert run_transitions(done, "fail") == run_transitions(done, "requeue") == 1
    assert each_lead_once_problems(leads) == []
    assert llm_calls(done, "error") == 1
    assert llm_calls(done, "ok") == 2 * len(leads)


@pytest.mark.slow
def test_a_run_whose_retries_are_exhausted_is_dead_and_a_redrive_completes_it(
    committed_tenant, celery_worker, model_server, settings
):
    # given a model server that fails as often as the run may be attempted (the run takes
    # its attempt budget from the settings of the process creating it)
    settings.AGENT_RUN_MAX_ATTEMPTS = 2
    celery_worker(
        queues=[SDR_QUEUE],
        env=agent_worker_env(model_server.url, AGENT_RUN_MAX_ATTEMPTS="2"),
    )
    reference_data()
    leads = _leads(3)
    model_server.queue_chat(server_error(500), server_error(503))

    # when a run is enqueued, it ends dead with the last error
    run = _sdr_run()
    dead = wait_for_run(run, "dead", "succeeded")
    assert (dead.status, dead.attempts) == ("dead", 2)
    assert dead.error_payload["type"] == "LLMServerError"
    assert dead.error_payload["retryable"] is True
    assert "503" in dead.error_payload["message"]
    assert OutreachMessage.objects.filter(lead__in=leads).count() == 0

    # and once the model server has recovered, an admin re-drives it to success
    admin = User.objects.get(email__startswith="admin@")
    services.agent_run_retry(run_id=str(run.run_id), by=admin)
    done = wait_for_run(run, "succeeded", "dead")
    assert done.status == "succeeded"
    assert done.trigger == "retry"
    assert run_transitions(done, "redrive") == 1
    assert each_lead_once_problems(leads) == []


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_replaced_and_every_lead_is_processed_once(
    committed_tenant, celery_worker, model_server, settings
):
    # given 200 new leads, a slightly slow model and a worker working through them
    reference_data()
    leads = _leads(200)
    model_server.chat_content.delay = 0.01
    env = agent_worker_env(model_server.url)
    first = celery_worker(queues=[SDR_QUEUE], env=env)
    run = _sdr_run()
    wait_until(lambda: _processed_so_far(run, 20), timeout=30)

    # when the worker is killed mid-run and another one starts
    first.kill()
    assert run_status(run, "running") is not None
    celery_worker(queues=[SDR_QUEUE], env=env)

    # then the sweeper sees the run's heartbeat stop and re-enqueues it for the new worker
    settings.AGENT_HEARTBEAT_TIMEOUT = 2
    wait_until(lambda: services.runs_sweep()["reclaimed"], timeout=15, interval=0.5)
    done = wait_for_run(run, "succeeded", "dead", timeout=60)
    assert (done.status, done.attempts) == ("succeeded", 2)
    assert done.error_payload == {} or done.error_payload.get("type") == "WorkerLost"
    assert each_lead_once_problems(leads) == []
    assert OutreachMessage.objects.count() == len(leads)


@pytest.mark.slow
def test_a_long_run_goes_on_in_time_slices_on_the_worker_and_touches_each_lead_once(
    committed_tenant, celery_worker, model_server
):
    # given 40 new leads, a model that takes a while and one-second time slices
    reference_data()
    leads = _leads(40)
    model_server.chat_content.delay = 0.02
    celery_worker(
        queues=[SDR_QUEUE],
        env=agent_worker_env(model_server.url, AGENT_RUN_SLICE_SECONDS="1"),
    )

    # when one run works through them
    run = _sdr_run()
    done = wait_for_run(run, "succeeded", "dead", timeout=90)

    # then it handed itself back between slices, as one attempt, and did each lead once
    assert (done.status, done.attempts, done.processed, done.failed) == ("succeeded", 1, 40, 0)
    assert run_transitions(done, "hand_back") >= 2
    assert each_lead_once_problems(leads) == []
    assert AgentRunItem.objects.filter(run=done).count() == 40


@pytest.mark.slow
def test_a_warm_shutdown_mid_run_waits_one_slice_and_the_next_worker_goes_on(
    committed_tenant, celery_worker, model_server
):
    # given 60 leads at about 0.2 s each (two model calls), one-second time slices
    reference_data()
    leads = _leads(60)
    model_server.chat_content.delay = 0.1
    env = agent_worker_env(model_server.url, AGENT_RUN_SLICE_SECONDS="1")
    first = celery_worker(queues=[SDR_QUEUE], env=env)
    run = _sdr_run()
    wait_until(lambda: _processed_so_far(run, 5), timeout=30)

    # when the worker is asked to stop (SIGTERM: finish the task in hand, then exit)
    first.stop()

    # then it left cleanly at the end of its slice, with the run handed back, not finished
    assert first.process.returncode == 0, first.log()[-2000:]
    paused = AgentRun.objects.get(pk=run.pk)
    assert paused.status == "queued"
    assert paused.processed < len(leads)

    # and the next worker goes on with the same attempt, every lead done once
    celery_worker(queues=[SDR_QUEUE], env=env)
    done = wait_for_run(run, "succeeded", "dead", timeout=90)
    assert (done.status, done.attempts, done.processed) == ("succeeded", 1, 60)
    assert each_lead_once_problems(leads) == []


@pytest.mark.slow
def test_redis_restarted_mid_run_still_processes_every_lead_once(
    committed_tenant, celery_worker, model_server, settings
):
    # given a private Redis as the broker of this process and of the worker
    reference_data()
    leads = _leads(200)
    model_server.chat_content.delay = 0.01
    with private_redis() as redis_server, broker_url(redis_server.url):
        celery_worker(
            queues=[SDR_QUEUE],
            env=agent_worker_env(model_server.url, REDIS_URL=redis_server.url),
        )
        run = _sdr_run()
        wait_until(lambda: _processed_so_far(run, 20), timeout=30)

        # when Redis goes down and comes back mid-run (its append-only file kept)
        redis_server.restart()
        assert run_status(run, "running") is not None

        # then the run completes; the sweeper stands by in case the worker lost it
        settings.AGENT_HEARTBEAT_TIMEOUT = 5
        settings.AGENT_QUEUED_STALE_AFTER = 5

        def finished() -> AgentRun | None:
            services.runs_sweep()
            return run_status(run, "succeeded", "dead")

        done = wait_until(finished, timeout=60, interval=0.5)
    assert done.status == "succeeded"
    assert each_lead_once_problems(leads) == []
    assert OutreachMessage.objects.count() == len(leads)


@pytest.mark.slow
def test_a_run_enqueued_twice_executes_once(committed_tenant, celery_worker, model_server):
    # given two workers on the queue
    env = agent_worker_env(model_server.url)
    celery_worker(queues=[SDR_QUEUE], env=env)
    celery_worker(queues=[SDR_QUEUE], env=env)
    reference_data()
    leads = _leads(20)
    model_server.chat_content.delay = 0.01

    # when the same run goes out in two messages
    run = _sdr_run()
    agent_run_task.apply_async(args=[str(run.run_id)], queue=SDR_QUEUE)

    # then it runs once: one start, one attempt, each lead's items once
    done = wait_for_run(run, "succeeded", "dead")
    assert (done.status, done.attempts) == ("succeeded", 1)
    assert run_transitions(done, "start") == 1
    assert done.processed == len(leads)
    assert AgentRunItem.objects.filter(run=done).count() == len(leads)
    assert llm_calls(done) == 2 * len(leads)
    assert each_lead_once_problems(leads) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "headers", [{"_schema_name": "public"}, {"_schema_name": ""}], ids=["public", "none"]
)
def test_a_task_sent_without_a_tenant_is_refused_by_the_worker(
    committed_tenant, celery_worker, model_server, headers
):
    # given a queued run that nobody enqueued yet
    worker = celery_worker(queues=[SDR_QUEUE], env=agent_worker_env(model_server.url))
    reference_data()
    leads = _leads(2)
    run = services.agent_run_create(agent="sdr", trigger="api", enqueue=False).run

    # when its task is sent without the tenant's schema
    agent_run_task.apply_async(args=[str(run.run_id)], queue=SDR_QUEUE, headers=headers)

    # then the worker refuses it and nothing happens to the run or the leads
    wait_until(lambda: "refused: it was sent without a tenant" in worker.log(), timeout=20)
    assert "TenantRequired" in worker.log()
    current = AgentRun.objects.get(pk=run.pk)
    assert (current.status, current.attempts) == ("queued", 0)
    assert model_server.count("/api/chat") == 0
    scored = Lead.objects.filter(pk__in=[lead.pk for lead in leads], scored_at__isnull=False)
    assert not scored.exists()
