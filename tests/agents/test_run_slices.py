"""Time slices: a run on a worker works through its items for ``AGENT_RUN_SLICE_SECONDS``,
then hands itself back to the queue between two items and goes on in a fresh task, without
counting another attempt and without touching an item twice within one attempt."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from revo.agents import services
from revo.agents.models import AgentRun, AgentRunItem
from tests.agents.helpers import items
from tests.agents.worker_support import run_transitions


def _run(*item_ids: str, **options: object) -> AgentRun:
    return services.agent_run_create(
        agent="scripted", trigger="api", options={"items": list(item_ids), **options}
    ).run


def _execute(run: AgentRun) -> services.ExecutionOutcome:
    return services.agent_run_execute(run_id=str(run.run_id))


@pytest.fixture
def one_item_slices(settings):  # noqa: ANN001, ANN201
    settings.AGENT_RUN_SLICE_SECONDS = 0  # the slice ends after each first item


def test_a_run_hands_itself_back_after_its_slice_and_goes_on_where_it_stopped(
    tenant, scripted_agent, one_item_slices, django_capture_on_commit_callbacks
):
    run = _run("a", "b", "c")

    with django_capture_on_commit_callbacks() as enqueued:
        first = _execute(run)

    assert first.handed_back is True
    assert (first.run.status, first.run.attempts) == ("queued", 0)
    assert AgentRun.objects.get(pk=run.pk).items_total == 3
    assert len(enqueued) == 1  # sent again at once, after commit
    assert scripted_agent.processed == ["a"]

    _execute(run)
    last = _execute(run)

    done = AgentRun.objects.get(pk=run.pk)
    assert last.handed_back is False
    assert scripted_agent.processed == ["a", "b", "c"]
    assert (done.status, done.attempts, done.seen, done.processed) == ("succeeded", 1, 3, 3)
    assert run_transitions(run, "hand_back") == 2
    assert set(AgentRunItem.objects.filter(run=run).values_list("attempt", flat=True)) == {1}


def test_an_item_failed_in_an_earlier_slice_is_not_tried_again_in_the_same_attempt(
    tenant, scripted_agent, one_item_slices
):
    run = _run("boom", "a")

    _execute(run)
    _execute(run)

    done = AgentRun.objects.get(pk=run.pk)
    assert (done.status, done.failed, done.processed) == ("succeeded", 1, 1)
    assert [item.item_id for item in items(done)] == ["boom", "a"]


def test_the_limit_counts_the_items_of_every_slice(tenant, scripted_agent, one_item_slices):
    run = _run("a", "b", "c", "d", limit=2)

    _execute(run)
    _execute(run)

    done = AgentRun.objects.get(pk=run.pk)
    assert (done.status, done.seen, done.items_total) == ("succeeded", 2, 2)
    assert scripted_agent.processed == ["a", "b"]


def test_the_soft_time_limit_mid_item_hands_the_run_back_and_fails_nothing(tenant, scripted_agent):
    run = _run("a", "overrun-1", "b")

    first = _execute(run)
    second = _execute(run)

    done = AgentRun.objects.get(pk=run.pk)
    assert (first.handed_back, second.handed_back) == (True, False)
    assert scripted_agent.processed == ["a", "overrun-1", "b"]
    assert (done.status, done.failed, done.processed, done.attempts) == ("succeeded", 0, 3, 1)
    assert not items(done, "failed")


def test_an_in_process_run_has_no_slices(tenant, scripted_agent, one_item_slices):
    run = services.agent_run_create(
        agent="scripted", trigger="cli", options={"items": ["a", "b", "c"]}, sync=True
    ).run

    outcome = _execute(run)

    assert (outcome.handed_back, outcome.run.status) == (False, "succeeded")
    assert scripted_agent.processed == ["a", "b", "c"]


@pytest.mark.parametrize("value", ["0", "271"], ids=["zero", "over-half-the-soft-limit"])
def test_a_slice_that_does_not_fit_the_time_limits_is_refused_at_start(value):
    env = {"AGENT_RUN_SLICE_SECONDS": value, "DJANGO_SETTINGS_MODULE": "revo.settings.test"}
    check = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert check.returncode != 0
    assert "AGENT_RUN_SLICE_SECONDS must be between 1 and half" in check.stderr
