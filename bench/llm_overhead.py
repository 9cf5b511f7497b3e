"""What ``generate()`` costs around the model, and how it scales with a slow model.

    python bench/llm_overhead.py [--calls 500] [--latency-ms 50] [--concurrency 8] [--per-thread 25]

1. Overhead: ``generate()`` around an instant in-process backend (model time is zero), so
   the figure is Revo's own work per call: load the active prompt, check inputs, render
   and fence, parse, schema + validators, confidence, write the ``LLMCall`` row.
2. Throughput: a fake backend that takes a fixed latency L per call, driven by C threads
   (each with its own database connection); the ideal is C / L calls per second.

It runs on the embedded PostgreSQL in a database of its own (``revo_bench_llm``, or
``BENCH_DATABASE_URL``) so benchmark rows never reach the demo, and uses a tenant ``bench``
provisioned with ``tenant_provision`` (shipped prompts included) on the first run.
Each measurement prints a ``RESULT key=value ...`` line; the last line is one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATABASE = "revo_bench_llm"
PROMPT_KEY = "sdr.outreach_first_touch"


def setup_django() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        import psycopg

        from revo.embedded import ensure_postgres

        server = ensure_postgres()
        with psycopg.connect(server, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
        url = server.replace("/postgres?", f"/{DATABASE}?")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revo.settings.dev")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate_schemas", verbosity=0)


def bench_tenant():  # noqa: ANN201 - a Tenant, imported after django.setup()
    from revo.tenancy.models import Tenant
    from revo.tenancy.services import public_tenant_ensure, tenant_provision

    public_tenant_ensure(domain="localhost")
    tenant = Tenant.objects.filter(slug="bench").first()
    if tenant is None:
        tenant = tenant_provision(
            slug="bench", name="Bench", domain="bench.localhost", admin_email="admin@bench.example"
        ).tenant
    return tenant


class FixedBackend:
    """Answers every request with the same valid JSON after ``latency_s`` seconds."""

    name = "bench"

    def __init__(self, answer: dict, latency_s: float = 0.0) -> None:
        self.content = json.dumps(answer)
        self.latency_s = latency_s

    def chat(self, request):  # noqa: ANN001, ANN201
        from revo.llm.backends.base import ChatResponse

        if self.latency_s:
            time.sleep(self.latency_s)
        return ChatResponse(
            content=self.content,
            model=request.model,
            backend=self.name,
            endpoint="memory://bench",
            prompt_tokens=300,
            completion_tokens=80,
        )

    def embed(self, texts, *, model=None):  # noqa: ANN001, ANN201
        raise NotImplementedError("the benchmark only chats")


def measure_overhead(context: dict, answer: dict, calls: int) -> None:
    from revo.llm.generate import generate

    backend = FixedBackend(answer)
    for _ in range(20):  # warm caches (compiled templates, schema validators, connection)
        generate(PROMPT_KEY, context, backend=backend)
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        result = generate(PROMPT_KEY, context, backend=backend)
        timings.append((time.perf_counter() - started) * 1e6)
        if not result.ok:
            raise SystemExit(f"benchmark answer was rejected: {result.findings}")
    ordered = sorted(timings)
    print(
        f"RESULT bench=llm_overhead calls={calls} "
        f"mean_us={statistics.fmean(timings):.0f} p50_us={ordered[len(ordered) // 2]:.0f} "
        f"p95_us={ordered[int(len(ordered) * 0.95) - 1]:.0f} "
        f"in_process_us={_in_process_us(context, answer, calls):.0f} model_us=0"
    )


def _in_process_us(context: dict, answer: dict, calls: int) -> float:
    """The part without database round trips: render + fence, parse, schema, validators."""
    from revo.llm.definitions import input_specs
    from revo.llm.generate import GenerationPolicy, output_policy_build, parse_answer
    from revo.llm.rendering import render_system_message, render_user_message
    from revo.llm.selectors import prompt_active_get

    prompt = prompt_active_get(PROMPT_KEY)
    untrusted = frozenset(spec.name for spec in input_specs(prompt.inputs) if spec.untrusted)
    content = json.dumps(answer)
    started = time.perf_counter()
    for _ in range(calls):
        render_system_message(prompt.system_text, prompt.output_schema)
        render_user_message(prompt.user_template, context, untrusted)
        parse_answer(content, prompt, output_policy_build(context, GenerationPolicy()))
    return (time.perf_counter() - started) * 1e6 / calls


def measure_throughput(
    tenant, context: dict, answer: dict, latency_ms: float, concurrency: int, per_thread: int
) -> None:  # noqa: ANN001
    from django.db import connection

    from revo.llm.generate import generate

    backend = FixedBackend(answer, latency_s=latency_ms / 1000)
    failures: list[str] = []
    barrier = threading.Barrier(concurrency + 1)

    def worker() -> None:
        connection.set_tenant(tenant)
        try:
            connection.ensure_connection()  # connecting is set-up, not throughput
            barrier.wait()
            for _ in range(per_thread):
                if not generate(PROMPT_KEY, context, backend=backend).ok:
                    failures.append("invalid")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = concurrency * per_thread
    throughput = total / elapsed
    ideal = concurrency / (latency_ms / 1000)
    print(
        f"RESULT bench=llm_throughput concurrency={concurrency} latency_ms={latency_ms:g} "
        f"calls={total} throughput_per_s={throughput:.1f} ideal_per_s={ideal:.1f} "
        f"efficiency={throughput / ideal:.3f} failures={len(failures)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--per-thread", type=int, default=25)
    args = parser.parse_args()

    setup_django()
    from django.db import connection

    from revo.llm.backends import get_backend
    from revo.llm.definitions import shipped_definition
    from revo.llm.generate import generate

    tenant = bench_tenant()
    connection.set_tenant(tenant)
    context = shipped_definition(PROMPT_KEY).example_context
    answer = generate(PROMPT_KEY, context, backend=get_backend("template")).data
    measure_overhead(context, answer, args.calls)
    measure_throughput(tenant, context, answer, args.latency_ms, args.concurrency, args.per_thread)


if __name__ == "__main__":
    main()
