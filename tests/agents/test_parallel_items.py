"""Items of one run processed by several threads (``AGENT_ITEM_CONCURRENCY``): the pool
driver on its own, then a real SDR run in a committed tenant with the fake model server."""

# ruff: noqa: F811 - the worker fixtures are imported into this module by name
from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from revo.agents.models import AgentRunItem
from revo.agents.parallel import ItemPool, process_concurrently
from revo.llm.backends import reset_backends
from revo.llm.errors import LLMConnectionError
from tests.agents.helpers import reference_data, run_agent
from tests.agents.worker_support import each_lead_once_problems, model_server  # noqa: F401
from tests.leads.factories import LeadFactory
from tests.workers import committed_tenant, wait_until  # noqa: F401 - fixture


class Tracker:
    """Processes items slowly, tracking how many run at once and where results land."""

    def __init__(self, *, fail_on: str = "") -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.fail_on = fail_on
        self.recorded: list[tuple[str, str, int]] = []

    def process(self, item: str) -> str:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05)
            if item == self.fail_on:
                raise LLMConnectionError("connection refused", endpoint="http://127.0.0.1:1")
            return f"done {item}"
        finally:
            with self.lock:
                self.running -= 1

    def record(self, item: str, outcome: str) -> None:
        self.recorded.append((item, outcome, threading.get_ident()))


def test_items_run_side_by_side_and_are_recorded_in_the_calling_thread():
    tracker = Tracker()

    stopped = process_concurrently(
        [f"i{n}" for n in range(12)],
        workers=4,
        name="test",
        process=tracker.process,
        record=tracker.record,
        may_start=lambda: True,
    )

    assert stopped is False
    assert tracker.most == 4
    assert sorted(item for item, _, _ in tracker.recorded) == sorted(f"i{n}" for n in range(12))
    assert {thread for _, _, thread in tracker.recorded} == {threading.get_ident()}


def test_no_item_starts_once_the_run_should_stop():
    tracker = Tracker()
    allowed = iter([True, True, True, False])

    stopped = process_concurrently(
        ["a", "b", "c", "d", "e"],
        workers=2,
        name="test",
        process=tracker.process,
        record=tracker.record,
        may_start=lambda: next(allowed, False),
    )

    assert stopped is True
    assert sorted(item for item, _, _ in tracker.recorded) == ["a", "b", "c"]


def test_an_error_that_stops_the_run_lets_the_items_in_flight_finish_and_be_recorded():
    tracker = Tracker(fail_on="b")

    with pytest.raises(LLMConnectionError):
        process_concurrently(
            ["a", "b", "c", "d", "e", "f"],
            workers=3,
            name="test",
            process=tracker.process,
            record=tracker.record,
            may_start=lambda: True,
        )

    recorded = {item for item, _, _ in tracker.recorded}
    assert "b" not in recorded
    assert {"a", "c"} <= recorded  # started beside "b", finished and recorded
    assert tracker.running == 0


def _live_backends(pids: set[int]) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
        return {pid for (pid,) in cursor.fetchall()}


def test_a_collected_db_test_keeps_the_test_database(db):
    # worker-style tests need the session's test database (see tests/workers.py)
    assert connection.settings_dict["NAME"].startswith("test_")


@pytest.mark.slow
def test_an_sdr_run_with_four_threads_does_each_lead_once_and_closes_its_connections(
    committed_tenant, model_server, settings, monkeypatch
):
    # given 24 new leads, a model taking 100 ms a call and four item threads
    reference_data()
    leads = [
        LeadFactory(title="VP Sales", notes="Industry: software\nEmployees: 300") for _ in range(24)
    ]
    model_server.chat_content.delay = 0.1
    settings.LLM_BACKEND = "ollama"
    settings.OLLAMA_URL = model_server.url
    settings.LLM_MAX_RETRIES = 0
    settings.LLM_MAX_CONCURRENCY = 4
    settings.AGENT_ITEM_CONCURRENCY = 4
    reset_backends()
    thread_backends: set[int] = set()
    thread_start = ItemPool._thread_start

    def start_and_note_the_backend(pool: ItemPool) -> None:
        thread_start(pool)
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            thread_backends.add(cursor.fetchone()[0])

    monkeypatch.setattr(ItemPool, "_thread_start", start_and_note_the_backend)

    # when one SDR run works through them
    try:
        run = run_agent("sdr", phase="new_leads")
    finally:
        reset_backends()

    # then the model saw calls side by side, every lead was done once, nothing leaked
    assert (run.status, run.processed, run.failed) == ("succeeded", 24, 0)
    assert model_server.max_in_flight == 4
    assert each_lead_once_problems(leads) == []
    assert AgentRunItem.objects.filter(run=run).count() == 24
    assert len(thread_backends) == 4
    # a closed connection's server process ends a moment after the client hung up
    wait_until(lambda: not _live_backends(thread_backends), timeout=10)
