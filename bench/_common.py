"""Shared set-up for benchmarks: a database of their own (``revo_bench``) on the embedded
PostgreSQL (or on ``BENCH_DATABASE_URL``), so benchmark data never lands in the demo."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_django(database: str = "revo_bench") -> None:
    """Point Django at the benchmark database (created and migrated if needed)."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        import psycopg

        from revo.embedded import ensure_postgres

        server = ensure_postgres()
        with psycopg.connect(server, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{database}"')
        url = server.replace("/postgres?", f"/{database}?")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revo.settings.dev")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate_schemas", shared=True, verbosity=0)
    from revo.tenancy.services import public_tenant_ensure

    public_tenant_ensure(domain="localhost")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
