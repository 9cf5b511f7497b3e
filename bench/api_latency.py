"""Latency of paginated API lists against bare Django views returning the same rows.

    python bench/api_latency.py [--rows 100000] [--requests 300] [--only users|reviews]

Both go through the full middleware stack in-process (django.test.Client, tenant host):
``GET /api/v1/users`` and the review queue ``GET /api/v1/reviews`` (oldest first and
riskiest first) with JWT, role permission, filters, ordering, pagination, serializer,
versus a plain view doing the same page query into a JsonResponse. The review queue holds
``--rows`` pending ``ReviewItem`` rows (the queue's index; the artifacts behind them are
not read by the list).

The review queue pages by cursor: the benchmark first walks the whole queue by following
``next`` (one walk per ordering), keeps every page's cursor, then fetches pages at random
depths (``reviews``, ``reviews_riskiest``) and among the first 20 (``reviews_head``); the
bare view runs the same keyset query. ``reviews_page`` measures the page-number mode
(``?page=N``, count + OFFSET) that clients paging by number still get, at random depths.
Runs in its own database (``revo_bench_api`` on the embedded PostgreSQL, or
``BENCH_DATABASE_URL``); the rows are kept for the next run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATABASE = "revo_bench_api"
SLUG = "bench-api"
DOMAIN = f"{SLUG}.localhost"
PAGE_SIZE = 50
FIELDS = ("id", "email", "full_name", "role", "is_active", "date_joined")


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
    os.environ["DJANGO_SETTINGS_MODULE"] = "revo.settings.dev"
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate_schemas", verbosity=0)  # public and the bench tenant


def ensure_tenant(rows: int):  # noqa: ANN201
    from django_tenants.utils import schema_context

    from revo.accounts.models import User
    from revo.accounts.roles import Role
    from revo.tenancy.models import Tenant
    from revo.tenancy.services import public_tenant_ensure, tenant_provision

    public_tenant_ensure(domain="localhost")
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        tenant = tenant_provision(
            slug=SLUG,
            name="Bench API",
            domain=DOMAIN,
            admin_email="admin@bench-api.example",
            admin_password="bench-password-123",  # noqa: S106 - a throwaway bench tenant
        ).tenant
    with schema_context(tenant.schema_name):
        existing = User.objects.count()
        roles = list(Role.values)
        batch = []
        for i in range(existing, rows):
            batch.append(
                User(
                    email=f"user{i:06d}@bench.example",
                    full_name=f"User {i}",
                    role=roles[i % len(roles)],
                    password="!",  # noqa: S106 - unusable password
                )
            )
            if len(batch) == 5000:
                User.objects.bulk_create(batch)
                batch = []
                print(f"  {i + 1}/{rows} users", flush=True)
        if batch:
            User.objects.bulk_create(batch)
        admin = User.objects.get(email="admin@bench-api.example")
    return tenant, admin


REVIEW_FIELDS = (
    "entity_type",
    "object_id",
    "title",
    "status",
    "agent",
    "llm_backend",
    "confidence",
    "amount",
    "currency",
    "flagged",
    "requires_admin",
    "auto_approved",
    "created_at",
    "decided_at",
)


def ensure_review_items(tenant, rows: int) -> None:  # noqa: ANN001
    """``rows`` pending queue rows of outreach, deal and invoice-like types, with spread
    confidence, amounts and ages."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from revo.reviews.models import ReviewItem, ReviewStatus

    with schema_context(tenant.schema_name):
        existing = ReviewItem.objects.count()
        if existing >= rows:
            return
        content_type = ContentType.objects.get_for_model(ReviewItem)
        rng = random.Random(7)
        now = timezone.now()
        kinds = (("outreach", "sdr"), ("deal_proposal", "sales"), ("dunning", "finance"))
        batch = []
        for i in range(existing, rows):
            entity_type, agent = kinds[i % len(kinds)]
            has_amount = entity_type != "outreach"
            batch.append(
                ReviewItem(
                    content_type=content_type,
                    object_id=i + 1,
                    entity_type=entity_type,
                    status=ReviewStatus.PENDING_REVIEW,
                    title=f"{entity_type} draft {i}",
                    agent=agent,
                    llm_backend="ollama" if i % 10 else "template",
                    confidence=None if i % 17 == 0 else Decimal(rng.randint(0, 1000)) / 1000,
                    amount=Decimal(rng.randint(100, 5_000_000)) / 100 if has_amount else None,
                    currency="EUR" if has_amount else "",
                    flagged=i % 11 == 0,
                    created_at=now - timedelta(seconds=rows - i),
                )
            )
            if len(batch) == 5000:
                ReviewItem.objects.bulk_create(batch)
                batch = []
                print(f"  {i + 1}/{rows} review items", flush=True)
        if batch:
            ReviewItem.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reviews_reviewitem")


def bare_reviews(request):  # noqa: ANN001, ANN201
    """The review queue without DRF: by ``page``, count + one OFFSET page; by ``cursor``,
    one keyset page. JSON either way."""
    from django.db.models import F
    from django.http import JsonResponse

    from revo.api import keyset
    from revo.reviews.models import ReviewItem

    queryset = ReviewItem.objects.filter(status="pending_review")
    if request.GET.get("ordering") == "riskiest":
        queryset = queryset.order_by(
            F("confidence").asc(nulls_first=True), F("amount").desc(nulls_last=True), "id"
        )
    else:
        queryset = queryset.order_by("created_at", "id")
    if "page" not in request.GET:
        keys = keyset.sort_keys(queryset)
        text = request.GET.get("cursor")
        position = keyset.cursor_decode(keys, text).position if text else None
        page = keyset.seek(queryset, keys, position)[: PAGE_SIZE + 1]
        rows = list(page.values(*REVIEW_FIELDS))
        return JsonResponse({"more": len(rows) > PAGE_SIZE, "results": rows[:PAGE_SIZE]})
    page_number = int(request.GET["page"])
    count = queryset.count()
    offset = (page_number - 1) * PAGE_SIZE
    rows = list(queryset.values(*REVIEW_FIELDS)[offset : offset + PAGE_SIZE])
    return JsonResponse({"count": count, "results": rows})


def bare_users(request):  # noqa: ANN001, ANN201
    """The same rows without DRF: count, one page, JSON."""
    from django.http import JsonResponse

    from revo.accounts.models import User

    page = int(request.GET.get("page", "1"))
    queryset = User.objects.order_by("email")
    count = queryset.count()
    offset = (page - 1) * PAGE_SIZE
    rows = list(queryset.values(*FIELDS)[offset : offset + PAGE_SIZE])
    return JsonResponse({"count": count, "results": rows})


def install_bench_urls() -> None:
    from django.conf import settings
    from django.urls import path

    from revo import urls_tenant

    module = types.ModuleType("bench_api_urls")
    module.urlpatterns = [
        *urls_tenant.urlpatterns,
        path("bench/users", bare_users),
        path("bench/reviews", bare_reviews),
    ]
    module.handler404 = urls_tenant.handler404
    module.handler500 = urls_tenant.handler500
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


TARGETS = {
    # name: (API path, bare path, extra query parameters, paging mode)
    "users": ("/api/v1/users", "/bench/users", {}, "page"),
    # cursor pages at random depths of the whole queue
    "reviews": ("/api/v1/reviews", "/bench/reviews", {}, "cursor"),
    "reviews_riskiest": ("/api/v1/reviews", "/bench/reviews", {"ordering": "riskiest"}, "cursor"),
    # what reviewers read most: the head of the queue (pages 1-20)
    "reviews_head": ("/api/v1/reviews", "/bench/reviews", {}, "cursor"),
    # page numbers (count + OFFSET), kept for clients that page by number
    "reviews_page": ("/api/v1/reviews", "/bench/reviews", {}, "page"),
}
HEAD_PAGES = 20


def walk_cursors(client, extra: dict[str, str]) -> list[str | None]:  # noqa: ANN001
    """The cursor of every page of the queue in order (None for the first page), found by
    following ``next`` from the first page to the last."""
    from urllib.parse import parse_qs, urlsplit

    cursors: list[str | None] = [None]
    response = client.get("/api/v1/reviews", extra)
    while True:
        assert response.status_code == 200, response.content[:200]
        link = response.json()["next"]
        if link is None:
            return cursors
        cursors.append(parse_qs(urlsplit(link).query)["cursor"][0])
        if len(cursors) % 500 == 0:
            print(f"  walked {len(cursors)} pages ({extra or 'oldest'})", flush=True)
        response = client.get(link)


def measure(client, name: str, sequence: list[dict[str, Any]]) -> dict[str, float]:  # noqa: ANN001
    """Each of ``sequence``'s query parameters (a page number or a cursor) against the API
    and the bare view, interleaved."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api_path, bare_path, extra, _ = TARGETS[name]

    def api(params: dict[str, Any]) -> None:
        response = client.get(api_path, {**params, **extra})
        assert response.status_code == 200, response.content[:200]
        assert len(response.json()["results"]) == PAGE_SIZE

    def bare(params: dict[str, Any]) -> None:
        response = client.get(bare_path, {**params, **extra})
        assert response.status_code == 200
        assert len(response.json()["results"]) == PAGE_SIZE

    for params in sequence[:20]:  # warm up
        api(params)
        bare(params)
    timings: dict[str, list[float]] = {"api": [], "bare": []}
    for params in sequence:
        for kind, call in (("api", api), ("bare", bare)):
            started = time.perf_counter()
            call(params)
            timings[kind].append((time.perf_counter() - started) * 1000)
    queries = {}
    for kind, call in (("api", api), ("bare", bare)):
        with CaptureQueriesContext(connection) as captured:
            call(sequence[-1])
        queries[kind] = sum(1 for q in captured if not q["sql"].startswith("SET search_path"))
    stats = {
        kind: (statistics.median(values), percentile(values, 95))
        for kind, values in timings.items()
    }
    for kind, (p50, p95) in stats.items():
        print(f"{name} {kind:5s} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  queries {queries[kind]}")
    return {
        "api_p50_ms": stats["api"][0],
        "api_p95_ms": stats["api"][1],
        "bare_p50_ms": stats["bare"][0],
        "bare_p95_ms": stats["bare"][1],
        "ratio_p50": stats["api"][0] / stats["bare"][0],
        "ratio_p95": stats["api"][1] / stats["bare"][1],
        "api_queries": queries["api"],
        "bare_queries": queries["bare"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--only", choices=["users", "reviews"], default=None)
    args = parser.parse_args()

    setup_django()
    from django.test import Client
    from django_tenants.utils import schema_context

    tenant, admin = ensure_tenant(args.rows if args.only != "reviews" else 0)
    if args.only != "users":
        ensure_review_items(tenant, args.rows)
    with schema_context(tenant.schema_name):
        from revo.api.tokens import access_token_issue

        token = access_token_issue(user=admin)
    install_bench_urls()
    client = Client(HTTP_HOST=DOMAIN, HTTP_AUTHORIZATION=f"Bearer {token}")
    pages = max(1, args.rows // PAGE_SIZE)
    rng = random.Random(6)
    names = [n for n in TARGETS if args.only is None or n.split("_")[0] == args.only]
    walks: dict[str, list[str | None]] = {}
    sequences: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        _, _, extra, mode = TARGETS[name]
        if mode == "page":
            sequences[name] = [{"page": rng.randint(1, pages)} for _ in range(args.requests)]
            continue
        ordering = extra.get("ordering", "oldest")
        if ordering not in walks:
            walks[ordering] = walk_cursors(client, extra)
        # full pages only: the last one may hold fewer rows
        cursors = walks[ordering][: max(1, args.rows // PAGE_SIZE)]
        depth = min(HEAD_PAGES, len(cursors)) if name.endswith("_head") else len(cursors)
        picks = [cursors[rng.randrange(depth)] for _ in range(args.requests)]
        sequences[name] = [{"cursor": c} if c else {} for c in picks]
    results = {name: measure(client, name, sequences[name]) for name in names}
    for name, r in results.items():
        mode = TARGETS[name][3]
        print(
            f"RESULT list={name} mode={mode} rows={args.rows} page_size={PAGE_SIZE} "
            f"requests={args.requests} api_p50_ms={r['api_p50_ms']:.2f} "
            f"api_p95_ms={r['api_p95_ms']:.2f} bare_p50_ms={r['bare_p50_ms']:.2f} "
            f"bare_p95_ms={r['bare_p95_ms']:.2f} ratio_p50={r['ratio_p50']:.2f} "
            f"ratio_p95={r['ratio_p95']:.2f} api_queries={r['api_queries']} "
            f"bare_queries={r['bare_queries']}"
        )


if __name__ == "__main__":
    main()
