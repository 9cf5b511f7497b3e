"""Pipeline throughput of the SDR stage.

(a) Instant model: the ``template`` backend (no network), one run executed in this process
    through ``agent_run_execute`` (exactly what the Celery task calls), over N new leads at
    two sizes: leads per second and database queries per lead (should stay constant as N
    grows). Target: >= 100 leads/s.
(b) Slow model: the fake Ollama server over real HTTP answering every chat request after a
    fixed 200 ms, and 4 SDR runs executed in parallel by 4 threads (one per tenant, as a
    worker with ``--concurrency 4`` would). Each lead takes two model calls (score, first
    touch), so the ideal is 4 / 0.2 s = 20 model calls per second; the result is the
    achieved rate as a ratio of it. Target: >= 0.8.

The benchmark works in its own database (``revo_bench``, see ``bench/_common.py``) in
tenants ``bench-pipe-1`` .. ``bench-pipe-4``, provisioned on the first run; each
measurement adds fresh leads (earlier ones are already scored and drafted, so no run picks
them up again). Usage::

    .venv/bin/python bench/pipeline_throughput.py [--sizes 200 1000] [--slow-leads 15]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import setup_django  # noqa: E402

LATENCY_S = 0.2
PARALLEL_RUNS = 4


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


def instant_model(sizes: list[int]) -> list[float]:
    from django.db import connection

    connection.set_tenant(tenant(1))
    use_backend("template")
    sdr_run_execute()  # anything left from an interrupted earlier run
    per_lead: list[float] = []
    for size in sizes:
        add_leads(size)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            run, elapsed = sdr_run_execute()
        if run.status != "succeeded" or run.processed != size:
            raise SystemExit(f"run {run.run_id}: {run.status}, processed {run.processed}/{size}")
        qpl = counter.count / size
        per_lead.append(qpl)
        print(
            f"RESULT stage=sdr backend=template execution=in-process leads={size} "
            f"seconds={elapsed:.2f} leads_per_s={size / elapsed:.1f} queries_per_lead={qpl:.1f} "
            f"target_leads_per_s=100"
        )
    connection.set_schema_to_public()
    return per_lead


def slow_model(leads_per_run: int) -> float:
    from django.db import connection

    from revo.llm.models import LLMCall
    from tests.agents.helpers import ScriptedModel
    from tests.fakes.ollama import fake_ollama_server

    tenants = [tenant(i + 1) for i in range(PARALLEL_RUNS)]
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

    results: dict[int, tuple[object, int]] = {}
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            connection.set_tenant(tenants[index])
            run, _ = sdr_run_execute()
            results[index] = (run, LLMCall.objects.filter(run_id=run.run_id).count())
        except BaseException as exc:  # reported after the threads end
            errors.append(exc)
        finally:
            connection.close()

    with fake_ollama_server() as fake:
        fake.chat_content = answer_slowly
        use_backend("ollama", fake.url)
        threads = [threading.Thread(target=work, args=(i,)) for i in range(PARALLEL_RUNS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        max_in_flight = fake.max_in_flight
    if errors:
        raise errors[0]
    for run, _ in results.values():
        if run.status != "succeeded" or run.processed != leads_per_run:
            raise SystemExit(f"run {run.run_id}: {run.status}, processed {run.processed}")
    calls = sum(count for _, count in results.values())
    ideal = PARALLEL_RUNS / LATENCY_S
    achieved = calls / elapsed
    ratio = achieved / ideal
    print(
        f"RESULT stage=sdr backend=fake-ollama latency_ms={int(LATENCY_S * 1000)} "
        f"parallel_runs={PARALLEL_RUNS} execution=4-threads leads={leads_per_run * PARALLEL_RUNS} "
        f"llm_calls={calls} seconds={elapsed:.2f} calls_per_s={achieved:.2f} "
        f"ideal_calls_per_s={ideal:.0f} max_in_flight={max_in_flight} "
        f"throughput_ratio={ratio:.2f} target=0.8"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--slow-leads", type=int, default=15, help="leads per parallel run")
    args = parser.parse_args()
    # Room for 4 model calls at once in this process (the default allows 2 per process).
    os.environ.setdefault("LLM_MAX_CONCURRENCY", str(PARALLEL_RUNS))
    os.environ.setdefault("LLM_MAX_RETRIES", "0")
    setup_django()

    per_lead = instant_model(args.sizes)
    ratio = slow_model(args.slow_leads)
    growth = per_lead[-1] / per_lead[0] if per_lead[0] else 0.0
    print(
        f"RESULT summary queries_per_lead_small={per_lead[0]:.1f} "
        f"queries_per_lead_large={per_lead[-1]:.1f} queries_per_lead_growth={growth:.2f} "
        f"throughput_ratio={ratio:.2f}"
    )


if __name__ == "__main__":
    main()
