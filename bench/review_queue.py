"""Review queue changelist over 100,000 pending artifacts.

Seeds tenant ``bench`` with 100,000 pending artifacts of every type it knows how to make
(one seed artifact per type made through the domain services, then cloned with
``bulk_create`` together with the queue rows), and tenant ``bench-small`` with 1,000. Then
renders the admin review queue in-process (django.test.Client, tenant host, signed-in
admin) and reports queries per page (page sizes 50 and 200; 1,000 vs 100,000 rows) and
p50/p95 render time. Runs in its own database (``revo_bench_reviews`` on the embedded
PostgreSQL, or ``BENCH_DATABASE_URL``); seeded rows are kept for the next run.

Last line: ``RESULT bench=review_queue rows=100000 queries_per_page=... p50_ms=... p95_ms=...``
(queries include django-tenants' ``SET search_path`` before each statement).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATABASE = "revo_bench_reviews"
LARGE, SMALL = ("bench", 100_000), ("bench-small", 1_000)
BATCH = 5_000
REQUESTS = 50
SEEDS_PER_TYPE = 8  # unique (parent, number) pairs: each seed's clones vary the number


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
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate_schemas", verbosity=0)
    from revo.tenancy.services import public_tenant_ensure

    public_tenant_ensure(domain="localhost")


# -- seeds: one pending artifact per type, made through its services ---------------------


def _lead(n: int) -> Any:
    from revo.leads.services import lead_create

    return lead_create(email=f"bench-{n}-{time.time_ns()}@prospect.example", company="Bench")


def _qualified_lead(n: int) -> Any:
    from revo.leads.services import lead_transition

    lead = _lead(n)
    for name in ("contact", "engage", "qualify"):
        lead = lead_transition(lead=lead, transition=name)
    return lead


def _deal(n: int) -> Any:
    from revo.deals.services import deal_create_from_lead

    return deal_create_from_lead(lead=_qualified_lead(n), name=f"Bench deal {n}", amount="9000")


def seed_outreach(n: int) -> Any:
    from revo.leads.services import outreach_draft_create

    return outreach_draft_create(
        lead=_lead(n), subject=f"Bench outreach {n}", body="Hello", agent="sdr"
    )


def seed_deal_proposal(n: int) -> Any:
    from revo.deals.services import deal_proposal_create

    return deal_proposal_create(
        deal=_deal(n), summary="Bench proposal", proposed_amount=Decimal("12000"), agent="sales"
    )


def seed_contract(n: int) -> Any:
    from revo.contracts.services import LineInput, contract_create, contract_submit

    lines = [LineInput(description="Licence", quantity="10", unit_price="100.00")]
    contract = contract_create(deal=_deal(n), lines=lines, agent="negotiation")
    return contract_submit(contract=contract)


SEEDERS: dict[str, Callable[[int], Any]] = {
    "outreach": seed_outreach,
    "deal_proposal": seed_deal_proposal,
    "contract": seed_contract,
}


# -- clones -------------------------------------------------------------------------------


def _varying_fields(model: type) -> list[str]:
    """Integer fields of the model's unique constraints that clones must vary (the
    sequence step of an outreach message, the revision of a contract)."""
    from django.db import models

    names: list[str] = []
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            for name in constraint.fields:
                field = model._meta.get_field(name)
                if isinstance(field, models.IntegerField) and not field.is_relation:
                    names.append(name)
    return names


def _clone(seed: Any, number: int, varying: list[str], confidence: Decimal, age_s: int) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    model = type(seed)
    values = {
        field.attname: getattr(seed, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key
    }
    for name in varying:
        values[name] = getattr(seed, name) + number
    values["confidence"] = confidence
    values["created_at"] = timezone.now() - timedelta(seconds=age_s)
    clone = model(**values)
    for field in model._meta.concrete_fields:  # share cached parents: titles need no query
        if field.is_relation and field.is_cached(seed):
            field.set_cached_value(clone, field.get_cached_value(seed))
    return clone


def seed_tenant(slug: str, rows: int) -> tuple[Any, dict[str, int]]:
    from django.db import connection, transaction

    from revo.reviews import registry
    from revo.reviews.models import ReviewItem
    from revo.reviews.services import review_item_build
    from revo.tenancy.models import Tenant
    from revo.tenancy.services import tenant_provision

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = tenant_provision(
            slug=slug,
            name=f"Bench {slug}",
            domain=f"{slug}.localhost",
            admin_email=f"admin@{slug}.example",
            admin_password=None,  # the bench signs in with force_login
        ).tenant
    connection.set_tenant(tenant)
    counts: dict[str, int] = {}
    existing = ReviewItem.objects.filter(status="pending_review").count()
    if existing >= rows:
        for entity_type in SEEDERS:
            counts[entity_type] = ReviewItem.objects.filter(entity_type=entity_type).count()
        return tenant, counts

    types = [t for t in registry.artifact_types() if t.entity_type in SEEDERS]
    skipped = [t.entity_type for t in registry.artifact_types() if t.entity_type not in SEEDERS]
    if skipped:
        print(f"no seeder for: {', '.join(skipped)}")
    share, extra = divmod(rows - existing, len(types))
    started = time.perf_counter()
    serial = 0
    for index, artifact_type in enumerate(types):
        per_type = share + (1 if index < extra else 0)
        seeds = [SEEDERS[artifact_type.entity_type](i) for i in range(SEEDS_PER_TYPE)]
        varying = _varying_fields(artifact_type.model)
        todo = per_type - len(seeds)
        made = 0
        while made < todo:
            batch = []
            for _ in range(min(BATCH, todo - made)):
                seed = seeds[made % len(seeds)]
                confidence = Decimal(serial % 1000) / Decimal(1000)
                batch.append(_clone(seed, made // len(seeds) + 1, varying, confidence, serial))
                made += 1
                serial += 1
            with transaction.atomic():
                created = artifact_type.model.objects.bulk_create(batch)
                ReviewItem.objects.bulk_create(
                    [review_item_build(artifact=artifact) for artifact in created]
                )
        counts[artifact_type.entity_type] = per_type
    with connection.cursor() as cursor:  # fresh statistics and visibility map, as in production
        cursor.execute(f"VACUUM ANALYZE {ReviewItem._meta.db_table}")
    print(f"seeded {slug}: {counts} in {time.perf_counter() - started:.1f}s")
    return tenant, counts


# -- measurement ---------------------------------------------------------------------------


def _client(tenant: Any) -> Any:
    from django.db import connection
    from django.test import Client

    from revo.accounts.models import User

    connection.set_tenant(tenant)
    client = Client(HTTP_HOST=f"{tenant.slug}.localhost")
    client.force_login(User.objects.get(email=f"admin@{tenant.slug}.example"))
    return client


def _render(client: Any, params: dict[str, str]) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get("/admin/reviews/reviewitem/", params)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"queue answered {response.status_code}")
    rows = response.content.decode().count('name="_selected_action"')
    return elapsed, len(queries), rows


def _page_size(size: int) -> None:
    from django.contrib import admin

    from revo.reviews.models import ReviewItem

    admin.site._registry[ReviewItem].list_per_page = size


def _timings(client: Any, params: dict[str, str], n: int) -> tuple[float, float]:
    _render(client, params)  # warm up
    times = sorted(_render(client, params)[0] for _ in range(n))
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args()
    setup_django()

    small_tenant, _ = seed_tenant(*SMALL)
    large_tenant, counts = seed_tenant(*LARGE)

    queries: dict[str, int] = {}
    for label, tenant in (("1k", small_tenant), ("100k", large_tenant)):
        client = _client(tenant)
        for size in (50, 200):
            _page_size(size)
            _render(client, {})
            _, count, rows = _render(client, {})
            assert rows == size, (label, size, rows)
            queries[f"{label}_{size}"] = count
            _, risk_count, _ = _render(client, {"order": "risk"})
            queries[f"{label}_{size}_risk"] = risk_count
    print("queries per page:", queries)
    if len(set(queries.values())) != 1:
        raise SystemExit(f"query count depends on page or data size: {queries}")

    client = _client(large_tenant)
    _page_size(50)
    p50, p95 = _timings(client, {}, args.requests)
    risk_p50, risk_p95 = _timings(client, {"order": "risk"}, args.requests)
    filtered_p50, filtered_p95 = _timings(
        client, {"confidence_band": "low", "age": "week", "order": "risk"}, args.requests
    )
    print(f"oldest first:  p50 {p50:.1f} ms  p95 {p95:.1f} ms")
    print(f"riskiest first: p50 {risk_p50:.1f} ms  p95 {risk_p95:.1f} ms")
    print(
        f"filtered (low confidence, < 7 days, riskiest): p50 {filtered_p50:.1f} ms"
        f"  p95 {filtered_p95:.1f} ms"
    )
    rows = sum(counts.values())
    print(
        f"RESULT bench=review_queue rows={rows} types={len(counts)} "
        f"queries_per_page={queries['100k_50']} p50_ms={p50:.1f} p95_ms={p95:.1f} "
        f"risk_p95_ms={risk_p95:.1f} filtered_p95_ms={filtered_p95:.1f}"
    )


if __name__ == "__main__":
    main()
