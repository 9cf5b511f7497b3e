"""A real Celery worker for tests that need one, and a committed tenant for it to work in.

Most tests run inside a transaction that is rolled back, which a worker process can never
see. A worker test instead uses:

* ``committed_tenant`` — a throwaway tenant provisioned for real (committed) with
  ``tenant_provision``; during the test the database is unblocked in autocommit mode and the
  connection is in the tenant's schema, so ``transaction.on_commit`` fires at once and the
  worker sees every write. Afterwards the tenant and its schema are dropped
  (``tenant.delete(force_drop=True)``). Never combine it with ``db``, ``tenant`` or
  ``transactional_db`` (the flush of the latter would truncate the public tables). The
  session must collect at least one ordinary ``db`` test (pytest-django creates the test
  database only then), so keep one in each worker test module; the fixture fails fast,
  before writing anything, when there is none.
* ``celery_worker`` — a factory starting ``celery -A revo worker`` as a subprocess
  (``--pool solo`` by default) on the given queues, with the pytest session's test
  database (``REVO_TEST_DATABASE_NAME``) and Redis key prefix (``REVO_TEST_SESSION``). It
  returns once the worker consumes, and stops every worker it started at the end of the
  test. ``worker.kill()`` sends SIGKILL, for crash tests; ``worker.log()`` shows its output.

Example (in a test module, or import the fixtures into a ``conftest.py``)::

    from tests.workers import celery_worker, committed_tenant  # noqa: F401

    @pytest.mark.slow
    def test_something_through_a_worker(committed_tenant, celery_worker):
        worker = celery_worker(queues=["mail"], env={"MAIL_SANDBOX": "true"})
        thing = thing_create(...)          # committed; its task is enqueued on commit
        wait_until(lambda: Thing.objects.get(pk=thing.pk).status == "done")

Environment variables given in ``env`` reach the worker's settings (e.g. ``EMAIL_PORT``);
settings changed with pytest-django's ``settings`` fixture do not, they live in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKER_PASSWORD = "correct-horse-battery-staple"


def wait_until(
    condition: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.1
) -> object:
    """Poll ``condition`` until it returns something truthy (returned) or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@contextmanager
def provisioned_tenant(django_db_blocker, *, prefix: str = "wk", **provision_kwargs) -> Iterator:  # noqa: ANN001
    """Provision a committed throwaway tenant, keep the database unblocked with the
    connection in its schema, and drop the tenant and its schema afterwards."""
    from revo.tenancy.models import Tenant
    from revo.tenancy.services import tenant_provision

    if not connection.settings_dict["NAME"].startswith("test_"):
        raise RuntimeError("request django_db_setup before provisioning a worker tenant")
    slug = f"{prefix}-{uuid.uuid4().hex[:10]}"
    options = {
        "name": f"Worker {slug}",
        "domain": f"{slug}.localhost",
        "admin_email": f"admin@{slug}.example",
        "admin_password": WORKER_PASSWORD,
        "timezone": "Europe/Berlin",
        "postal_address": "Worker Ltd, 2 Queue Road, Berlin",
        **provision_kwargs,
    }
    with django_db_blocker.unblock():
        tenant = tenant_provision(slug=slug, **options).tenant
        try:
            connection.set_tenant(tenant)
            yield tenant
        finally:
            connection.set_schema_to_public()
            Tenant.objects.get(pk=tenant.pk).delete(force_drop=True)


def _session_sets_up_test_database(session: pytest.Session) -> bool:
    """pytest-django creates the test database only when some collected test uses it
    (``db``, ``transactional_db`` or the ``django_db`` marker); otherwise the connection
    still points at the development database."""
    return any(
        {"db", "transactional_db"} & set(getattr(item, "fixturenames", ()))
        or item.get_closest_marker("django_db")
        for item in session.items
    )


@pytest.fixture
def committed_tenant(request: pytest.FixtureRequest, django_db_blocker) -> Iterator:  # noqa: ANN001
    if not _session_sets_up_test_database(request.session):
        pytest.fail(
            "worker tests need the session's test database: collect at least one test using "
            "the `db` fixture in the same run (e.g. keep one in the worker test module)"
        )
    request.getfixturevalue("django_db_setup")
    with provisioned_tenant(django_db_blocker) as tenant:
        yield tenant


def worker_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a worker sharing this session's test database and Redis keys."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "revo.settings.test",
            "REVO_TEST_SESSION": settings.REVO_TEST_SESSION,
            "REVO_TEST_DATABASE_NAME": connection.settings_dict["NAME"],
            "REDIS_URL": settings.REDIS_URL,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


class CeleryWorker:
    """One ``celery worker`` subprocess; see the module docstring."""

    def __init__(
        self,
        *,
        queues: Sequence[str],
        env: Mapping[str, str] | None = None,
        pool: str = "solo",
        concurrency: int = 1,
        ready_timeout: float = 60.0,
    ) -> None:
        self.queues = list(queues)
        self.extra_env = dict(env or {})
        self.pool = pool
        self.concurrency = concurrency
        self.ready_timeout = ready_timeout
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self._dir = Path(tempfile.mkdtemp(prefix="revo-worker-"))
        self._ready_file = self._dir / "ready"
        self._log_path = self._dir / "worker.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> CeleryWorker:
        env = worker_env({**self.extra_env, "REVO_WORKER_READY_FILE": str(self._ready_file)})
        command = [
            sys.executable, "-m", "celery", "-A", "revo", "worker",
            "--pool", self.pool, "--concurrency", str(self.concurrency),
            "-Q", ",".join(self.queues), "-n", self.name,
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO",
        ]  # fmt: skip
        with open(self._log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + self.ready_timeout
        while not self._ready_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"celery worker not ready in time:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        """Warm shutdown (SIGTERM: finish the current task), SIGKILL if it hangs."""
        if not self.running():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: the worker dies at once, mid-task, as in a crash."""
        if self.running():
            self.process.kill()
            self.process.wait(10)

    def log(self) -> str:
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""


@pytest.fixture
def celery_worker() -> Iterator[Callable[..., CeleryWorker]]:
    """``celery_worker(queues=[...], env={...})`` starts a worker (ready when it returns);
    every worker started is stopped at the end of the test."""
    started: list[CeleryWorker] = []

    def start(**kwargs: object) -> CeleryWorker:
        worker = CeleryWorker(**kwargs)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
