"""The whole lead-to-cash flow executed by a real Celery worker subprocess on the agent
queues, the agents talking to the fake Ollama server over HTTP, with a person's review
decision between the stages (taken in this process, as a reviewer would in the UI)."""

# ruff: noqa: F811 - the worker fixtures are imported into this module by name
from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from revo.agents import services
from revo.agents.models import AgentRun
from tests.agents.flow import lead_to_dunning
from tests.agents.helpers import reference_data
from tests.agents.worker_support import (
    agent_worker_env,
    model_server,  # noqa: F401 - fixture
    wait_for_run,
)
from tests.workers import celery_worker, committed_tenant  # noqa: F401 - fixtures


def _through_worker(agent: str, **options: object) -> AgentRun:
    """Enqueue a run of ``agent`` (the worker picks it up) and wait until it is done."""
    run = services.agent_run_create(agent=agent, trigger="api", options=options).run
    done = wait_for_run(run, "succeeded", "dead", timeout=30)
    assert done.status == "succeeded", done.error_payload
    return done


def test_the_agent_queues_are_the_ones_the_flow_worker_listens_on(tenant):
    # given the settings' agent queues, when every agent's run is routed, then it has a queue
    from revo.agents.base import agent_names

    assert {f"agents.{name}" for name in agent_names()} <= set(django_settings.AGENT_QUEUES)


@pytest.mark.slow
def test_a_worker_runs_lead_to_dunning_with_approvals_between_the_stages(
    committed_tenant, celery_worker, model_server
):
    celery_worker(queues=list(django_settings.AGENT_QUEUES), env=agent_worker_env(model_server.url))
    reference_data()

    walk = lead_to_dunning(_through_worker)

    assert walk.first_touch.llm_backend == "ollama"
    assert model_server.count("/api/chat") >= 7


@pytest.mark.slow
def test_run_pipeline_without_sync_follows_the_workers_to_the_end(
    committed_tenant, celery_worker, model_server
):
    # given a worker on the agent queues and three new leads
    import io

    from django.core.management import call_command

    from tests.leads.factories import LeadFactory

    celery_worker(queues=list(django_settings.AGENT_QUEUES), env=agent_worker_env(model_server.url))
    reference_data()
    for _ in range(3):
        LeadFactory(title="VP Sales", notes="Industry: software\nEmployees: 300")

    # when the command enqueues the SDR stage and follows it
    out = io.StringIO()
    call_command(
        "run_pipeline", "--tenant", committed_tenant.slug, "--agent", "sdr", "--timeout", "60",
        stdout=out,
    )  # fmt: skip

    # then it printed the stage's progress from the worker and the summary
    text = out.getvalue()
    assert "sdr: succeeded 3/3" in text
    assert "pipeline succeeded" in text
    assert AgentRun.objects.get(agent="sdr").trigger == "cli"
