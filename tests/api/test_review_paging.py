"""Paging the review queue API: cursors (the default) in every ordering, page numbers for
clients that ask for them, refused cursors, and an index behind every page query."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from revo.accounts.roles import Role
from revo.api import keyset
from revo.reviews.api.views import ReviewFilter
from revo.reviews.models import ReviewItem, ReviewStatus

URL = "/api/v1/reviews"
TYPES = ("outreach", "deal_proposal", "dunning")


@pytest.fixture
def headers(user_by_role, auth_header) -> dict[str, str]:  # noqa: ANN001
    return auth_header(user_by_role(Role.VIEWER))


def queue_rows(count: int, **overrides: Any) -> list[ReviewItem]:
    """``count`` pending queue rows with ties on every ordering column: four share each
    creation time, confidence repeats (and is unknown on every fifth), amounts repeat (and
    are unknown on every third)."""
    content_type = ContentType.objects.get_for_model(ReviewItem)
    start = ReviewItem.objects.count()
    base = timezone.now() - timedelta(days=1)
    rows = []
    for i in range(start, start + count):
        rows.append(
            ReviewItem(
                content_type=content_type,
                object_id=10_000 + i,
                entity_type=TYPES[i % 3],
                status=ReviewStatus.PENDING_REVIEW,
                title=f"draft {i}",
                agent="sdr",
                confidence=None if i % 5 == 0 else Decimal(i % 4) / 4,
                amount=None if i % 3 == 0 else Decimal(100 * (i % 2)),
                currency="EUR",
                created_at=base + timedelta(seconds=i // 4),
                **overrides,
            )
        )
    return ReviewItem.objects.bulk_create(rows)


def expected_order(rows: list[ReviewItem], ordering: str) -> list[int]:
    def oldest(row: ReviewItem) -> tuple[Any, ...]:
        return (row.created_at, row.pk)

    def riskiest(row: ReviewItem) -> tuple[Any, ...]:
        return (
            row.confidence is not None,
            row.confidence or 0,
            row.amount is None,
            -(row.amount or 0),
            row.pk,
        )

    if ordering == "riskiest":
        ordered = sorted(rows, key=riskiest)
    else:
        ordered = sorted(rows, key=oldest, reverse=ordering == "newest")
    return [row.object_id for row in ordered]


def walk(api_client, headers, first: dict[str, Any], link: str) -> list[list[int]]:  # noqa: ANN001
    """Every page from the first request on, following ``link`` until it is null."""
    pages = []
    response = api_client.get(URL, first, **headers)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert "count" not in body
        pages.append([row["entity_id"] for row in body["results"]])
        if body[link] is None:
            return pages
        response = api_client.get(body[link], **headers)


def walk_back(api_client, headers, body: dict[str, Any]) -> list[list[int]]:  # noqa: ANN001
    pages = [[row["entity_id"] for row in body["results"]]]
    while body["previous"] is not None:
        body = api_client.get(body["previous"], **headers).json()
        pages.insert(0, [row["entity_id"] for row in body["results"]])
    return pages


def cursor_payload_text(url: str) -> str:
    return url.split("cursor=")[1].split("&")[0]


def cursor_payload(url: str) -> dict[str, Any]:
    text = cursor_payload_text(url)
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def cursor_text(payload: Any) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --------------------------------------------------------------------------- walking


@pytest.mark.parametrize("ordering", ["oldest", "newest", "riskiest"])
def test_following_next_visits_every_row_once_in_order_and_previous_walks_back(
    api_client, headers, ordering
):
    rows = queue_rows(23)

    forward = walk(api_client, headers, {"ordering": ordering, "page_size": 5}, "next")
    last = api_client.get(URL, {"ordering": ordering, "page_size": 5}, **headers)
    for _ in range(len(forward) - 1):
        last = api_client.get(last.json()["next"], **headers)
    backward = walk_back(api_client, headers, last.json())

    assert [len(page) for page in forward] == [5, 5, 5, 5, 3]
    assert [entity for page in forward for entity in page] == expected_order(rows, ordering)
    assert backward == forward


def test_first_page_has_no_previous_and_last_page_no_next(api_client, headers):
    queue_rows(4)

    first = api_client.get(URL, {"page_size": 2}, **headers).json()
    second = api_client.get(first["next"], **headers).json()

    assert first["previous"] is None
    assert first["next"].startswith("http://test.localhost/api/v1/reviews?")
    assert "page_size=2" in first["next"]
    assert second["next"] is None
    assert second["previous"] is not None


def test_a_row_leaving_the_queue_does_not_make_the_next_page_skip_one(api_client, headers):
    rows = queue_rows(6)
    ids = expected_order(rows, "oldest")

    first = api_client.get(URL, {"page_size": 2}, **headers).json()
    ReviewItem.objects.filter(object_id=ids[0]).update(status=ReviewStatus.APPROVED)
    second = api_client.get(first["next"], **headers).json()

    assert [row["entity_id"] for row in second["results"]] == ids[2:4]


def test_past_the_end_the_previous_link_leads_to_the_last_page(api_client, headers):
    rows = queue_rows(5)
    ids = expected_order(rows, "oldest")
    first = api_client.get(URL, {"page_size": 3}, **headers).json()
    ReviewItem.objects.filter(object_id__in=ids[3:]).update(status=ReviewStatus.APPROVED)

    beyond = api_client.get(first["next"], **headers).json()
    last = api_client.get(beyond["previous"], **headers).json()

    assert beyond["results"] == []
    assert beyond["next"] is None
    assert [row["entity_id"] for row in last["results"]] == ids[:3]
    assert last["next"] is None


def test_cursor_pages_honour_the_filters(api_client, headers):
    rows = queue_rows(12)
    deals = [row for row in rows if row.entity_type == "deal_proposal"]

    pages = walk(api_client, headers, {"entity_type": "deal_proposal", "page_size": 3}, "next")

    assert [entity for page in pages for entity in page] == expected_order(deals, "oldest")


def test_a_deep_cursor_page_costs_the_queries_of_the_first(api_client, headers):
    queue_rows(30)
    deep = api_client.get(URL, {"page_size": 5}, **headers)
    for _ in range(4):
        deep = api_client.get(deep.json()["next"], **headers)

    with CaptureQueriesContext(connection) as head:
        api_client.get(URL, {"page_size": 5}, **headers)
    with CaptureQueriesContext(connection) as deeper:
        api_client.get(deep.json()["next"], **headers)

    assert len(deeper.captured_queries) == len(head.captured_queries)
    page_queries = [q["sql"] for q in deeper.captured_queries if "reviews_reviewitem" in q["sql"]]
    assert len(page_queries) == 1
    assert "COUNT(" not in page_queries[0]
    assert "OFFSET" not in page_queries[0]
    assert "LIMIT 6" in page_queries[0]


# --------------------------------------------------------------------------- page numbers


def test_page_numbers_still_page_with_a_count(api_client, headers):
    rows = queue_rows(7)
    ids = expected_order(rows, "oldest")

    response = api_client.get(URL, {"page": 2, "page_size": 3}, **headers)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7
    assert [row["entity_id"] for row in body["results"]] == ids[3:6]
    assert "page=3" in body["next"]
    assert "cursor=" not in body["next"]


@pytest.mark.parametrize(
    ("params", "status"),
    [({"page": 9}, 404), ({"page": "x"}, 404), ({"page": 1, "cursor": "abc"}, 400)],
    ids=["beyond-the-last-page", "not-a-number", "page-and-cursor"],
)
def test_bad_page_requests_are_refused_in_the_envelope(api_client, headers, params, status):
    queue_rows(2)

    response = api_client.get(URL, params, **headers)

    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message", "details", "correlation_id"}


# --------------------------------------------------------------------------- bad cursors


def _edited(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**payload, **changes}


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: "not a cursor!",
        lambda p: base64.urlsafe_b64encode(b"{not json").decode(),
        lambda p: cursor_text([1, 2]),
        lambda p: cursor_text(_edited(p, d="sideways")),
        lambda p: cursor_text(_edited(p, k="confidence:asc:nf,id:asc:nl")),
        lambda p: cursor_text(_edited(p, p=p["p"][:1])),
        lambda p: cursor_text(_edited(p, p=[p["p"][0], 10**30])),
        lambda p: cursor_text(_edited(p, p=[p["p"][0], {"id": 1}])),
        lambda p: cursor_text(_edited(p, p=[p["p"][0], None])),
        lambda p: cursor_text(_edited(p, p=["2026-01-01T00:00:00", 1])),
        lambda p: cursor_text(_edited(p, p=["yesterday", 1])),
        lambda p: cursor_text(_edited(p, p=None, d="next")),
        lambda p: "A" * 2000,
        lambda p: "",
    ],
    ids=[
        "not-base64",
        "not-json",
        "not-an-object",
        "unknown-direction",
        "another-ordering",
        "too-few-values",
        "id-out-of-range",
        "value-of-wrong-type",
        "null-id",
        "time-without-offset",
        "not-a-time",
        "no-position-forwards",
        "too-long",
        "empty",
    ],
)
def test_an_invalid_cursor_is_refused_with_400_in_the_envelope(api_client, headers, edit):
    queue_rows(3)
    issued = api_client.get(URL, {"page_size": 1}, **headers).json()["next"]

    response = api_client.get(URL, {"cursor": edit(cursor_payload(issued))}, **headers)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "cursor" in error["details"]


def test_a_cursor_of_one_ordering_is_refused_by_another(api_client, headers):
    queue_rows(3)
    newest = api_client.get(URL, {"ordering": "newest", "page_size": 1}, **headers).json()

    response = api_client.get(
        URL, {"ordering": "riskiest", "cursor": cursor_payload_text(newest["next"])}, **headers
    )

    assert response.status_code == 400
    assert "another ordering" in response.json()["error"]["details"]["cursor"][0]


# --------------------------------------------------------------------------- indexes


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"ordering": "newest"},
        {"ordering": "riskiest"},
        {"status": "approved", "ordering": "riskiest"},
        {"status": "all"},
        {"status": "all", "ordering": "newest"},
        {"status": "all", "ordering": "riskiest"},
        {"entity_type": "dunning"},
        {"entity_type": "dunning", "ordering": "newest"},
        {"entity_type": "dunning", "ordering": "riskiest"},
        {"status": "all", "entity_type": "dunning", "ordering": "riskiest"},
        {"agent": "sdr", "ordering": "riskiest"},
        {"confidence": "low", "ordering": "riskiest"},
        {"min_amount": "50"},
        {"created_after": "2026-01-01T00:00:00Z", "ordering": "newest"},
    ],
    ids=[
        "oldest",
        "newest",
        "riskiest",
        "approved-riskiest",
        "all-oldest",
        "all-newest",
        "all-riskiest",
        "type-oldest",
        "type-newest",
        "type-riskiest",
        "all-type-riskiest",
        "agent-riskiest",
        "confidence-riskiest",
        "amount-oldest",
        "window-newest",
    ],
)
@pytest.mark.parametrize("direction", [keyset.NEXT, keyset.PREVIOUS])
def test_every_ordering_and_filter_pages_through_an_index_without_sorting(
    tenant, params, direction
):
    rows = queue_rows(20)
    items = ReviewFilter(params, queryset=ReviewItem.objects.all()).qs
    keys = keyset.sort_keys(items)
    if direction == keyset.PREVIOUS:
        keys = [key.reversed() for key in keys]
    page = keyset.seek(items, keys, keyset.row_position(keys, rows[7]))[:51]

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            plan = page.explain()
        finally:
            cursor.execute("RESET enable_sort")
            cursor.execute("RESET enable_seqscan")

    assert "Sort" not in plan, plan
    assert "Index" in plan, plan


# --------------------------------------------------------------------------- schema


def test_the_schema_describes_cursor_and_page_paging_of_the_queue(client, db):
    schema = client.get("/api/schema/", {"format": "json"}, HTTP_HOST="test.localhost").json()

    operation = schema["paths"]["/api/v1/reviews"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    envelope = schema["components"]["schemas"]["PaginatedReviewItemOutputList"]
    users = schema["paths"]["/api/v1/users"]["get"]

    assert parameters["cursor"]["schema"] == {"type": "string"}
    assert parameters["page"]["schema"] == {"type": "integer"}
    assert parameters["page_size"]["schema"] == {"type": "integer"}
    assert "400" in operation["responses"]
    assert envelope["required"] == ["next", "previous", "results"]
    assert set(envelope["properties"]) == {"count", "next", "previous", "results"}
    assert "cursor" not in {p["name"] for p in users["parameters"]}
