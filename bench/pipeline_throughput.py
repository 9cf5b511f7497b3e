"""Pipeline throughput of the SDR stage.

(a) Instant model: the ``template`` backend (no network), one run executed in this process
    through ``agent_run_execute`` (exactly what the Celery task calls), over N new leads at
    two sizes: leads per second and database queries per lead (should stay constant as N
    grows). Target: >= 100 leads/s. A warm-up run of 20 leads goes first (one-time imports
    and caches of the process are not what is measured); each size runs three times and
    the best run is reported beside the median (on a shared virtual machine the same CPU
    work varies by tens of percent from one second to the next).
(b) Slow model: the fake Ollama server over real HTTP answering every chat request after a
    fixed 200 ms, and a real Celery worker (``--pool prefork --concurrency 4``, queue
    ``agents.sdr``) executing 4 SDR runs enqueued at once (one per tenant). Each lead takes
    two model calls (score, first touch), so the ideal is 4 / 0.2 s = 20 model calls per
    second; the result is the achieved rate (enqueue to the last run's end) as a ratio of
    it. Target: >= 0.8.
(c) The same slow model, one tenant's run on a single worker process that processes four
    of its items at once (``AGENT_ITEM_CONCURRENCY=4``): the same ratio, for one big run.

The benchmark works in its own database (``revo_bench``, see ``bench/_common.py``) in
tenants ``bench-pipe-1`` .. ``bench-pipe-4``, provisioned on the first run, and Celery uses
Redis database 9 (``REDIS_URL`` set: that one); each
measurement adds fresh leads (earlier ones are already scored and drafted, so no run picks
them up again). Usage::

    .venv/bin/python bench/pipeline_throughput.py [--sizes 200 1000] [--repeats 3] [--slow-leads 25]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, setup_django  # noqa: E402

LATENCY_S = 0.2


def tenant(index: int):  # noqa: ANN201 - a Tenant, imported after django.setup()
    from revo.tenancy.models import Tenant
    from revo.tenancy.services import tenant_provision

    slug = f"bench-pipe-{index}"
    existing = Tenant.objects.filter(slug=slug).first()
    if existing is not None:
        migrate_schema(existing.schema_name)
        return existing
    template = Tenant.objects.filter(is_template=True).first()
    if template is not None:
        migrate_schema(template.schema_name)  # the bench database may predate some apps
    return tenant_provision(
        slug=slug,
        name=f"Bench pipeline {index}",
        domain=f"{slug}.localhost",
        admin_email=f"admin@{slug}.example",
        postal_address="Bench GmbH, 1 Speed Street, Berlin",
    ).tenant


def migrate_schema(schema: str) -> None:
    from django.core.management import call_command

    call_command("migrate_schemas", schema_name=schema, verbosity=0)


def add_leads(count: int) -> int:
    """``count`` new leads in the current tenant (through the service); how many are new."""
    import uuid

    from revo.leads.services import lead_create
    from tests.agents.helpers import reference_data

    reference_data()
    batch = uuid.uuid4().hex[:8]
    for n in range(count):
        lead_create(
            email=f"lead{n}-{batch}@prospect.example",
            first_name="Dana",
            last_name=f"Lead{n}",
            company=f"Prospect {batch} {n}",
            title="VP Sales" if n % 2 else "Head of Operations",
            country="DE",
            source="bench",
            notes="Industry: software\nEmployees: 300",
        )
    return count


def use_backend(name: str, url: str = "") -> None:
    from django.conf import settings

    from revo.llm.backends import reset_backends

    settings.LLM_BACKEND = name
    settings.OLLAMA_URL = url
    reset_backends()


def sdr_run_execute() -> tuple[object, float]:
    """Create and execute one new-leads SDR run in-process; the run and its wall time."""
    from revo.agents import services

    run = services.agent_run_create(
        agent="sdr", trigger="cli", options={"phase": "new_leads"}, enqueue=False, sync=True
    ).run
    started = time.perf_counter()
    services.agent_run_execute(run_id=str(run.run_id))
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    return run, elapsed


class QueryCounter:
    """Counts the SQL statements this connection executes (an execute wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # noqa: ANN001, ANN204
        self.count += 1
        return execute(sql, params, many, context)


def instant_model(sizes: list[int], repeats: int) -> list[float]:
    """Each size measured ``repeats`` times on fresh leads: the best run is the machine's
    cost of the work (noise only ever adds time), the median shows the spread."""
    from django.db import connection

    connection.set_tenant(tenant(1))
    use_backend("template")
    sdr_run_execute()  # anything left from an interrupted earlier run
    add_leads(20)
    sdr_run_execute()  # warm-up: the process's first items pay one-time imports and caches
    per_lead: list[float] = []
    for size in sizes:
        rates: list[float] = []
        for _ in range(repeats):
            add_leads(size)
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                run, elapsed = sdr_run_execute()
            if run.status != "succeeded" or run.processed != size:
                raise SystemExit(
                    f"run {run.run_id}: {run.status}, processed {run.processed}/{size}"
                )
            rates.append(size / elapsed)
        qpl = counter.count / size
        per_lead.append(qpl)
        print(
            f"RESULT stage=sdr backend=template execution=in-process leads={size} "
            f"repeats={repeats} leads_per_s={max(rates):.1f} "
            f"leads_per_s_median={statistics.median(rates):.1f} "
            f"queries_per_lead={qpl:.1f} target_leads_per_s=100"
        )
    connection.set_schema_to_public()
    return per_lead


class BenchWorker:
    """``celery -A revo worker --pool prefork --concurrency 4 -Q agents.sdr`` on the bench
    database and the bench's Redis database, talking to the fake Ollama server at ``url``."""

    def __init__(self, ollama_url: str, concurrency: int, **env: str) -> None:
        self.ollama_url = ollama_url
        self.concurrency = concurrency
        self.extra_env = env
        self.dir = Path(tempfile.mkdtemp(prefix="revo-bench-worker-"))
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> BenchWorker:
        ready = self.dir / "ready"
        env = {
            **os.environ,
            "LLM_BACKEND": "ollama",
            "OLLAMA_URL": self.ollama_url,
            "REVO_WORKER_READY_FILE": str(ready),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        command = [
            sys.executable, "-m", "celery", "-A", "revo", "worker",
            "--pool", "prefork" if self.concurrency > 1 else "solo",
            "--concurrency", str(self.concurrency),
            "-Q", "agents.sdr", "-n", f"bench-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "WARNING",
        ]  # fmt: skip
        self.log = open(self.dir / "worker.log", "wb")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                log = (self.dir / "worker.log").read_text(errors="replace")
                raise SystemExit(f"the bench worker did not start:\n{log[-3000:]}")
            time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def slow_model(
    leads_per_run: int, *, runs: int, worker_concurrency: int, item_threads: int
) -> float:
    """``runs`` SDR runs (one per tenant) on a worker with ``worker_concurrency`` processes,
    each run processing ``item_threads`` items at once; the achieved model calls per second
    as a ratio of the ideal (calls in flight at once / latency)."""
    from django.db import connection

    from revo.llm.models import LLMCall
    from tests.agents.helpers import ScriptedModel
    from tests.fakes.ollama import fake_ollama_server

    tenants = [tenant(i + 1) for i in range(runs)]
    for each in tenants:
        connection.set_tenant(each)
        use_backend("template")
        sdr_run_execute()  # anything left over, so each run below sees only its new leads
        add_leads(leads_per_run)
    connection.set_schema_to_public()
    model = ScriptedModel()

    def answer_slowly(request: dict) -> str:
        time.sleep(LATENCY_S)
        return model(request)

    threads = str(item_threads)
    with fake_ollama_server() as fake:
        fake.chat_content = answer_slowly
        with BenchWorker(
            fake.url,
            worker_concurrency,
            AGENT_ITEM_CONCURRENCY=threads,
            LLM_MAX_CONCURRENCY=threads,
        ):
            elapsed, run_ids = _runs_enqueued_and_followed(tenants, leads_per_run)
        max_in_flight = fake.max_in_flight
    calls = 0
    for each, run_id in zip(tenants, run_ids, strict=True):
        connection.set_tenant(each)
        calls += LLMCall.objects.filter(run_id=run_id).count()
    connection.set_schema_to_public()
    ideal = worker_concurrency * item_threads / LATENCY_S
    achieved = calls / elapsed
    ratio = achieved / ideal
    leads = leads_per_run * runs
    print(
        f"RESULT stage=sdr backend=fake-ollama latency_ms={int(LATENCY_S * 1000)} "
        f"worker_concurrency={worker_concurrency} item_threads={item_threads} runs={runs} "
        f"leads={leads} llm_calls={calls} seconds={elapsed:.2f} "
        f"leads_per_s={leads / elapsed:.2f} calls_per_s={achieved:.2f} "
        f"ideal_calls_per_s={ideal:.0f} max_in_flight={max_in_flight} "
        f"throughput_ratio={ratio:.2f} target=0.8"
    )
    return ratio


def _runs_enqueued_and_followed(tenants: list, leads_per_run: int) -> tuple[float, list[str]]:
    """One SDR run per tenant, enqueued at once; the seconds until the last one ended."""
    from django.db import connection

    from revo.agents import services
    from revo.agents.models import AgentRun, RunStatus

    started = time.perf_counter()
    run_ids: list[str] = []
    for each in tenants:  # enqueued on commit (the connection is in autocommit here)
        connection.set_tenant(each)
        run = services.agent_run_create(
            agent="sdr", trigger="cli", options={"phase": "new_leads"}
        ).run
        run_ids.append(str(run.run_id))
    finished: dict[str, AgentRun] = {}
    deadline = time.monotonic() + 60 + 4 * leads_per_run * LATENCY_S
    while len(finished) < len(run_ids):
        for each, run_id in zip(tenants, run_ids, strict=True):
            connection.set_tenant(each)
            run = AgentRun.objects.get(run_id=run_id)
            if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.DEAD):
                finished.setdefault(run_id, run)
        if time.monotonic() > deadline:
            raise SystemExit(f"runs not finished in time: {len(finished)}/{len(run_ids)} done")
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    connection.set_schema_to_public()
    for run_id, run in finished.items():
        if run.status != RunStatus.SUCCEEDED or run.processed != leads_per_run:
            raise SystemExit(f"run {run_id}: {run.status}, processed {run.processed}")
    return elapsed, run_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per size (best counts)")
    parser.add_argument("--slow-leads", type=int, default=25, help="leads per tenant's run")
    args = parser.parse_args()
    os.environ.setdefault("LLM_MAX_RETRIES", "0")
    if not os.environ.get("REDIS_URL"):
        # A Redis database of its own: the bench worker never takes the demo's tasks.
        from revo.embedded import ensure_redis

        os.environ["REDIS_URL"] = ensure_redis().rsplit("/", 1)[0] + "/9"
    setup_django()  # also exports DATABASE_URL for the worker

    per_lead = instant_model(args.sizes, args.repeats)
    # (b) four tenants' runs side by side on a worker with --concurrency 4
    ratio = slow_model(args.slow_leads, runs=4, worker_concurrency=4, item_threads=1)
    # (c) one tenant's run on a single worker process, four item threads
    slow_model(args.slow_leads * 2, runs=1, worker_concurrency=1, item_threads=4)
    growth = per_lead[-1] / per_lead[0] if per_lead[0] else 0.0
    print(
        f"RESULT summary queries_per_lead_small={per_lead[0]:.1f} "
        f"queries_per_lead_large={per_lead[-1]:.1f} queries_per_lead_growth={growth:.2f} "
        f"throughput_ratio={ratio:.2f}"
    )


if __name__ == "__main__":
    main()
