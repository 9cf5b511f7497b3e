from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from revo.accounts.roles import Role
from revo.reviews import registry
from revo.reviews.models import ReviewItem, ReviewStatus
from revo.reviews.services import review_decide
from tests.reviews.artifacts import DECIDERS, ENTITY_TYPES, item_of, make_artifact

QUEUE = "/admin/reviews/reviewitem/"
# session, user, user and group permissions, agents, count, page; each query is preceded by
# django-tenants setting the search path
MAX_QUEUE_QUERIES = 16


def _titles(response) -> list[str]:  # noqa: ANN001
    return [row.title for row in response.context["cl"].result_list]


@pytest.fixture
def as_role(tenant_client, user_of):  # noqa: ANN201
    def _login(role: str):  # noqa: ANN202
        tenant_client.force_login(user_of(role))
        return tenant_client

    return _login


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_queue_renders_for_every_role_with_every_column(as_role, role):
    make_artifact("outreach", agent="sdr", llm_backend="ollama", confidence="0.42")

    response = as_role(role).get(QUEUE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Review queue" in html
    for column in ("type", "title", "agent", "LLM backend", "confidence", "amount", "age"):
        assert f">{column}<" in html.lower() or column in html
    assert "ollama" in html
    assert "0.42" in html


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_bulk_actions_are_offered_only_to_roles_that_decide(as_role, role):
    make_artifact("outreach")
    sees_actions = any(role in DECIDERS[t.entity_type] for t in registry.artifact_types())

    response = as_role(role).get(QUEUE)

    html = response.content.decode()
    assert ('value="bulk_approve"' in html) is sees_actions
    assert ('value="bulk_reject"' in html) is sees_actions


def test_template_backend_is_labelled_as_offline_demo(as_role):
    make_artifact("outreach", llm_backend="template")

    html = as_role(Role.VIEWER).get(QUEUE).content.decode()

    assert "TEMPLATE (offline demo)" in html


def test_queue_shows_pending_by_default_and_other_statuses_on_request(as_role, admin_user):
    pending = make_artifact("outreach")
    decided = make_artifact("outreach")
    review_decide(entity_type="outreach", entity_id=decided.pk, decision="approve", by=admin_user)
    client = as_role(Role.VIEWER)

    assert _titles(client.get(QUEUE)) == [pending.review_title()]
    assert _titles(client.get(QUEUE, {"status": "approved"})) == [decided.review_title()]
    assert len(_titles(client.get(QUEUE, {"status": "all"}))) == 2


def _set_item(artifact, **values) -> None:  # noqa: ANN001, ANN003
    ReviewItem.objects.filter(pk=item_of(artifact).pk).update(**values)


def test_oldest_first_is_the_default_order_and_riskiest_first_is_offered(as_role):
    now = timezone.now()
    old_sure = make_artifact("outreach", confidence="0.95")
    mid_unsure_small = make_artifact("outreach", confidence="0.30")
    new_unsure_big = make_artifact("outreach", confidence="0.30")
    unknown = make_artifact("outreach")
    _set_item(old_sure, created_at=now - timedelta(days=3), amount=Decimal("10"))
    _set_item(mid_unsure_small, created_at=now - timedelta(days=2), amount=Decimal("100"))
    _set_item(new_unsure_big, created_at=now - timedelta(days=1), amount=Decimal("9000"))
    _set_item(unknown, created_at=now)
    client = as_role(Role.VIEWER)

    oldest = _titles(client.get(QUEUE))
    riskiest = _titles(client.get(QUEUE, {"order": "risk"}))

    assert oldest == [
        a.review_title() for a in (old_sure, mid_unsure_small, new_unsure_big, unknown)
    ]
    assert riskiest == [
        a.review_title() for a in (unknown, new_unsure_big, mid_unsure_small, old_sure)
    ]


@pytest.mark.parametrize(
    ("band", "expected"),
    [("low", ["c0.2"]), ("medium", ["c0.5", "c0.7"]), ("high", ["c0.8"]), ("none", ["none"])],
)
def test_confidence_band_filter(as_role, band, expected):
    for confidence in ("0.2", "0.5", "0.7", "0.8", None):
        artifact = make_artifact("outreach", confidence=confidence)
        _set_item(artifact, title=f"c{confidence}" if confidence else "none")

    titles = _titles(as_role(Role.VIEWER).get(QUEUE, {"confidence_band": band}))

    assert sorted(titles) == expected


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("hour", ["10 minutes"]),
        ("day", ["10 minutes", "5 hours"]),
        ("week", ["10 minutes", "5 hours", "3 days"]),
        ("older", ["8 days"]),
    ],
)
def test_age_filter(as_role, band, expected):
    now = timezone.now()
    for title, age in (
        ("10 minutes", timedelta(minutes=10)),
        ("5 hours", timedelta(hours=5)),
        ("3 days", timedelta(days=3)),
        ("8 days", timedelta(days=8)),
    ):
        _set_item(make_artifact("outreach"), title=title, created_at=now - age)

    titles = _titles(as_role(Role.VIEWER).get(QUEUE, {"age": band}))

    assert sorted(titles) == sorted(expected)


def test_agent_filter_lists_agents_and_narrows_the_queue(as_role):
    make_artifact("outreach", agent="sdr")
    dunning_like = make_artifact("outreach", agent="finance")
    client = as_role(Role.VIEWER)

    html = client.get(QUEUE).content.decode()
    titles = _titles(client.get(QUEUE, {"agent": "finance"}))

    assert "?agent=sdr" in html
    assert "?agent=finance" in html
    assert titles == [dunning_like.review_title()]


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_type_filter_offers_every_registered_type(as_role, entity_type):
    artifact = make_artifact(entity_type)
    client = as_role(Role.VIEWER)

    html = client.get(QUEUE).content.decode()
    titles = _titles(client.get(QUEUE, {"entity_type": entity_type}))

    assert f"?entity_type={entity_type}" in html
    assert titles == [artifact.review_title()]


def test_search_matches_titles(as_role):
    wanted = make_artifact("outreach")
    make_artifact("outreach")
    _set_item(wanted, title="Renewal for Globex")

    titles = _titles(as_role(Role.VIEWER).get(QUEUE, {"q": "globex"}))

    assert titles == ["Renewal for Globex"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ADMIN])
def test_queue_costs_the_same_queries_for_10_or_60_items(
    as_role, role, django_assert_max_num_queries
):
    client = as_role(role)
    for _ in range(10):
        make_artifact("outreach", confidence="0.5", agent="sdr", flagged_reasons=["tone"])
    client.get(QUEUE)  # warm the session and content-type caches alike for both runs

    with (
        django_assert_max_num_queries(MAX_QUEUE_QUERIES),
        CaptureQueriesContext(connection) as small,
    ):
        assert len(_titles(client.get(QUEUE, {"order": "risk"}))) == 10
    for _ in range(50):
        make_artifact("outreach", confidence="0.7", agent="sdr", flagged_reasons=["tone"])
    with (
        django_assert_max_num_queries(MAX_QUEUE_QUERIES),
        CaptureQueriesContext(connection) as large,
    ):
        assert len(_titles(client.get(QUEUE, {"order": "risk", "all": ""}))) == 60

    assert len(large.captured_queries) == len(small.captured_queries)


def test_queue_cannot_add_change_or_delete_items(as_role):
    artifact = make_artifact("outreach")
    client = as_role(Role.ADMIN)

    assert client.get(f"{QUEUE}add/").status_code == 403
    assert client.get(f"{QUEUE}{item_of(artifact).pk}/delete/").status_code == 403
    change = client.get(f"{QUEUE}{item_of(artifact).pk}/change/")
    assert change.status_code == 302
    assert change["Location"].endswith(f"{item_of(artifact).pk}/review/")


def test_anonymous_users_are_sent_to_login(tenant_client):
    response = tenant_client.get(QUEUE)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_bulk_approve_confirms_then_reports_per_item_failures(as_role, admin_user):
    fresh = make_artifact("outreach")
    taken = make_artifact("outreach")
    review_decide(
        entity_type="outreach", entity_id=taken.pk, decision="reject", by=admin_user, reason="no"
    )
    client = as_role(Role.SDR)
    selected = [item_of(fresh).pk, item_of(taken).pk]

    confirm = client.post(
        QUEUE + "?status=all",
        {"action": "bulk_approve", "_selected_action": selected},
    )
    assert confirm.status_code == 200
    assert "2</strong> item(s)" in confirm.content.decode()
    done = client.post(
        QUEUE + "?status=all",
        {"action": "bulk_approve", "_selected_action": selected, "post": "yes"},
        follow=True,
    )

    messages = [str(m) for m in done.context["messages"]]
    assert "1 item(s) approved." in messages
    assert any("not approved" in m and "cannot approve" in m for m in messages)
    fresh.refresh_from_db()
    taken.refresh_from_db()
    assert fresh.review_status == ReviewStatus.APPROVED
    assert taken.review_status == ReviewStatus.REJECTED


def test_bulk_reject_requires_one_reason_and_applies_it_to_all(as_role):
    artifacts = [make_artifact("outreach") for _ in range(3)]
    selected = [item_of(a).pk for a in artifacts]
    client = as_role(Role.SDR)

    refused = client.post(
        QUEUE, {"action": "bulk_reject", "_selected_action": selected, "post": "yes"}
    )
    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    assert ReviewItem.objects.filter(status=ReviewStatus.PENDING_REVIEW).count() == 3

    client.post(
        QUEUE,
        {
            "action": "bulk_reject",
            "_selected_action": selected,
            "post": "yes",
            "reason": "Wrong segment",
        },
    )

    for artifact in artifacts:
        artifact.refresh_from_db()
        assert artifact.review_status == ReviewStatus.REJECTED
        assert artifact.decision_reason == "Wrong segment"


def test_bulk_action_from_a_role_that_may_not_decide_the_type_changes_nothing(as_role):
    artifact = make_artifact("outreach")
    client = as_role(Role.SALES)

    done = client.post(
        QUEUE,
        {"action": "bulk_approve", "_selected_action": [item_of(artifact).pk], "post": "yes"},
        follow=True,
    )

    messages = [str(m) for m in done.context["messages"]]
    assert any("may not decide outreach" in m for m in messages)
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW


def test_viewer_cannot_run_bulk_actions(as_role):
    artifact = make_artifact("outreach")
    client = as_role(Role.VIEWER)

    client.post(
        QUEUE,
        {"action": "bulk_approve", "_selected_action": [item_of(artifact).pk], "post": "yes"},
    )

    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW
