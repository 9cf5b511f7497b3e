"""CSV import speed: 10,000 new leads, then the same 10,000 updated, into a throwaway
test database and tenant (removed afterwards).

Prints ``RESULT rows=... create_s=... update_s=... create_queries=... update_queries=...``
(queries exclude django-tenants' per-cursor ``SET search_path``)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revo.settings.test")
os.environ.setdefault("REVO_TEST_SESSION", f"bench{os.getpid()}")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    teardown_databases,
)

ROWS = 10_000


def _csv(suffix: str) -> bytes:
    lines = ["Email,First Name,Last Name,Company,Job Title,Country,Phone"]
    lines += [
        f"lead{i}@bench.example,First{i},Last{i},Company {i % 97}{suffix},Title{suffix},DE,+49 {i}"
        for i in range(ROWS)
    ]
    return ("\n".join(lines) + "\n").encode()


def _timed(data: bytes, on_existing: str) -> tuple[float, int, str]:
    from revo.leads.csv_import import leads_import_csv

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = leads_import_csv(file=data, on_existing=on_existing, source="bench")
        elapsed = time.perf_counter() - started
    statements = [q for q in queries if not q["sql"].startswith("SET search_path")]
    return elapsed, len(statements), report.summary()


def main() -> None:
    from revo.tenancy.services import public_tenant_ensure, tenant_provision

    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        public_tenant_ensure()
        tenant = tenant_provision(
            slug="bench-leads",
            name="Bench",
            domain="bench-leads.localhost",
            admin_email="admin@bench.example",
        ).tenant
        connection.set_tenant(tenant)
        create_s, create_q, create_summary = _timed(_csv(""), "skip")
        update_s, update_q, update_summary = _timed(_csv(" v2"), "update")
        print(f"create: {create_summary} in {create_s:.2f}s")
        print(f"update: {update_summary} in {update_s:.2f}s")
    finally:
        connection.set_schema_to_public()
        teardown_databases(old_config, verbosity=0)
    print(
        f"RESULT rows={ROWS} create_s={create_s:.2f} update_s={update_s:.2f} "
        f"create_queries={create_q} update_queries={update_q}"
    )


if __name__ == "__main__":
    main()
