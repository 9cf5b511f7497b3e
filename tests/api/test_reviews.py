"""The review queue API: the list with its filters and orderings, one artifact's review
page, and decisions (roles per artifact type, conflicts, idempotency, tenant isolation)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from revo.accounts.roles import Role
from revo.api.tokens import access_token_issue
from revo.reviews.models import ReviewDecision, ReviewItem, ReviewStatus
from tests.conftest import OTHER_DOMAIN
from tests.factories import UserFactory
from tests.reviews.artifacts import DECIDERS, ENTITY_TYPES, item_of, make_artifact
from tests.reviews.conftest import in_own_connection

URL = "/api/v1/reviews"


def _detail(artifact) -> str:  # noqa: ANN001
    return f"{URL}/{artifact.REVIEW_ENTITY_TYPE}/{artifact.pk}"


@pytest.fixture
def viewer_headers(user_by_role, auth_header):  # noqa: ANN001, ANN201
    return auth_header(user_by_role(Role.VIEWER))


@pytest.fixture
def admin_headers(user_by_role, auth_header):  # noqa: ANN001, ANN201
    return auth_header(user_by_role(Role.ADMIN))


# --------------------------------------------------------------------------- the queue


def test_the_queue_lists_pending_artifacts_with_their_review_columns(api_client, viewer_headers):
    draft = make_artifact("outreach", confidence="0.420", agent="sdr", llm_backend="template")
    decided = make_artifact("outreach")
    ReviewItem.objects.filter(pk=item_of(decided).pk).update(status=ReviewStatus.REJECTED)

    response = api_client.get(URL, **viewer_headers)

    assert response.status_code == 200
    body = response.json()
    assert [row["entity_id"] for row in body["results"]] == [draft.pk]
    assert (body["next"], body["previous"]) == (None, None)
    row = body["results"][0]
    assert row["entity_type"] == "outreach"
    assert row["entity_id"] == draft.pk
    assert row["status"] == "pending_review"
    assert row["agent"] == "sdr"
    assert row["llm_backend"] == "template"
    assert row["is_template"] is True
    assert row["confidence"] == "0.420"
    assert row["link"] == _detail(draft)
    assert set(row) >= {"title", "amount", "currency", "flagged", "requires_admin", "created_at"}


def test_the_queue_page_costs_a_bounded_number_of_queries(
    api_client, viewer_headers, django_assert_max_num_queries
):
    for _ in range(3):
        make_artifact("outreach")
    for _ in range(2):
        make_artifact("contract")
    make_artifact("deal_proposal")

    with django_assert_max_num_queries(6):
        response = api_client.get(URL, {"status": "all", "page_size": 50}, **viewer_headers)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 6


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"entity_type": "contract"}, {"contract"}),
        ({"agent": "sales"}, {"deal_proposal"}),
        ({"confidence": "low"}, {"outreach"}),
        ({"confidence": "none"}, {"contract", "deal_proposal"}),
        ({"min_amount": "1"}, {"contract"}),
        ({"max_amount": "0.5"}, set()),
        ({"status": "all"}, {"outreach", "contract", "deal_proposal", "approved-outreach"}),
        ({"status": "approved"}, {"approved-outreach"}),
    ],
    ids=[
        "entity-type",
        "agent",
        "confidence-low",
        "confidence-none",
        "min-amount",
        "max-amount",
        "all-statuses",
        "approved",
    ],
)
def test_the_queue_filters(api_client, viewer_headers, params, expected):
    outreach = make_artifact("outreach", confidence="0.3", agent="sdr")
    contract = make_artifact("contract")
    proposal = make_artifact("deal_proposal", agent="sales")
    approved = make_artifact("outreach", confidence="0.9")
    ReviewItem.objects.filter(pk=item_of(approved).pk).update(status=ReviewStatus.APPROVED)
    names = {
        outreach.pk: "outreach",
        contract.pk: "contract",
        proposal.pk: "deal_proposal",
        approved.pk: "approved-outreach",
    }
    proposal_amount = item_of(proposal).amount
    if params.get("min_amount") and proposal_amount is not None:
        expected = expected | {"deal_proposal"}

    response = api_client.get(URL, params, **viewer_headers)

    assert response.status_code == 200, response.content
    got = {names[row["entity_id"]] for row in response.json()["results"]}
    assert got == expected


def test_the_queue_filters_by_creation_window(api_client, viewer_headers):
    old, new = make_artifact("outreach"), make_artifact("outreach")
    ReviewItem.objects.filter(pk=item_of(old).pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    since = (timezone.now() - timedelta(days=1)).isoformat()

    after = api_client.get(URL, {"created_after": since}, **viewer_headers).json()
    before = api_client.get(URL, {"created_before": since}, **viewer_headers).json()

    assert [row["entity_id"] for row in after["results"]] == [new.pk]
    assert [row["entity_id"] for row in before["results"]] == [old.pk]


def test_riskiest_first_puts_unknown_then_low_confidence_then_the_larger_amount_first(
    api_client, viewer_headers
):
    sure = make_artifact("outreach", confidence="0.95")
    unsure = make_artifact("outreach", confidence="0.2")
    unknown = make_artifact("outreach")
    small, large = make_artifact("contract", confidence="0.5"), make_artifact("contract")
    ReviewItem.objects.filter(pk=item_of(small).pk).update(amount=Decimal("10.00"))
    ReviewItem.objects.filter(pk=item_of(large).pk).update(
        amount=Decimal("9000.00"), confidence=Decimal("0.5")
    )

    response = api_client.get(URL, {"ordering": "riskiest"}, **viewer_headers)

    order = [(row["entity_type"], row["entity_id"]) for row in response.json()["results"]]
    assert order == [
        ("outreach", unknown.pk),
        ("outreach", unsure.pk),
        ("contract", large.pk),
        ("contract", small.pk),
        ("outreach", sure.pk),
    ]


@pytest.mark.parametrize(("ordering", "reverse"), [("oldest", False), ("newest", True)])
def test_oldest_and_newest_first(api_client, viewer_headers, ordering, reverse):
    first, second = make_artifact("outreach"), make_artifact("outreach")
    ReviewItem.objects.filter(pk=item_of(first).pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )

    response = api_client.get(URL, {"ordering": ordering}, **viewer_headers)

    ids = [row["entity_id"] for row in response.json()["results"]]
    assert ids == ([second.pk, first.pk] if reverse else [first.pk, second.pk])


@pytest.mark.parametrize(
    "params",
    [{"status": "nonsense"}, {"ordering": "random"}, {"created_after": "yesterday"}],
    ids=["status", "ordering", "date"],
)
def test_a_bad_filter_is_a_validation_error_in_the_envelope(api_client, viewer_headers, params):
    response = api_client.get(URL, params, **viewer_headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


# --------------------------------------------------------------------------- detail


def test_the_review_page_shows_values_original_flags_context_and_history(
    api_client, user_by_role, auth_header
):
    sdr = user_by_role(Role.SDR)
    draft = make_artifact("outreach", flagged_reasons=["mentions a price"])
    api_client.post(
        f"{_detail(draft)}/decision",
        {"decision": "edit_approve", "edits": {"subject": "Better subject"}},
        format="json",
        **auth_header(sdr),
    )

    response = api_client.get(_detail(draft), **auth_header(user_by_role(Role.VIEWER)))

    assert response.status_code == 200
    body = response.json()
    assert body["values"]["subject"] == "Better subject"
    assert body["ai_original"]["subject"] == "Quick question about your pipeline"
    assert body["editable_fields"] == ["subject", "body"]
    assert body["edited"] is True
    assert body["flagged_reasons"] == ["mentions a price"]
    assert body["context"]
    assert body["can_decide"] is False
    assert [d["decision"] for d in body["decisions"]] == ["edit_approve"]
    assert body["decisions"][0]["after"] == {"subject": "Better subject"}
    kinds = [entry["kind"] for entry in body["history"]]
    assert kinds.count("transition") == 2
    assert "decision" in kinds


@pytest.mark.parametrize(
    "url",
    [f"{URL}/nonsense/1", f"{URL}/outreach/999999"],
    ids=["unknown-type", "unknown-id"],
)
def test_an_unknown_artifact_is_not_found(api_client, viewer_headers, url):
    response = api_client.get(url, **viewer_headers)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --------------------------------------------------------------------------- decisions


def _decide(client, artifact, headers, **body):  # noqa: ANN001, ANN003, ANN202
    return client.post(f"{_detail(artifact)}/decision", body, format="json", **headers)


def test_approving_returns_the_decision_audit_id_and_moves_the_queue_row(
    api_client, user_by_role, auth_header
):
    draft = make_artifact("outreach")

    response = _decide(api_client, draft, auth_header(user_by_role(Role.SDR)), decision="approve")

    assert response.status_code == 200, response.content
    body = response.json()
    decision = ReviewDecision.objects.get()
    assert body["audit_id"] == decision.pk
    assert body["status"] == "approved"
    assert body["decision"] == "approve"
    assert item_of(draft).status == ReviewStatus.APPROVED


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_only_the_roles_deciding_an_artifact_type_may_decide_it(
    api_client, user_by_role, auth_header, entity_type, role
):
    artifact = make_artifact(entity_type)

    response = _decide(api_client, artifact, auth_header(user_by_role(role)), decision="approve")

    if role in DECIDERS[entity_type]:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
        assert item_of(artifact).status == ReviewStatus.PENDING_REVIEW


def test_deciding_twice_is_an_illegal_transition_listing_what_is_allowed(api_client, admin_headers):
    draft = make_artifact("outreach")
    _decide(api_client, draft, admin_headers, decision="approve")

    response = _decide(api_client, draft, admin_headers, decision="reject", reason="late")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["details"]["allowed_transitions"] == ["mark_applied"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"decision": "reject"}, 422, None),
        ({"decision": "regenerate", "reason": "  "}, 422, None),
        ({"decision": "edit_approve"}, 422, None),
        ({"decision": "edit_approve", "edits": {"lead": 1}}, 422, None),
        ({"decision": "approve", "edits": {"subject": "x"}}, 422, None),
        ({"decision": "auto_approve"}, 400, "decision"),
        ({"decision": "approve", "review_status": "approved"}, 400, "review_status"),
        ({}, 400, "decision"),
    ],
    ids=[
        "reject-without-reason",
        "regenerate-blank-reason",
        "edit-without-edits",
        "edit-of-a-locked-field",
        "edits-without-edit-approve",
        "auto-approve-by-hand",
        "mass-assignment",
        "no-decision",
    ],
)
def test_invalid_decisions_are_refused_and_change_nothing(
    api_client, admin_headers, body, status, field
):
    draft = make_artifact("outreach")

    response = _decide(api_client, draft, admin_headers, **body)

    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    if field:
        assert field in error["details"]
    assert item_of(draft).status == ReviewStatus.PENDING_REVIEW
    assert not ReviewDecision.objects.exists()


def test_rejecting_with_a_reason_and_regenerating_record_the_reason(api_client, admin_headers):
    rejected, regenerated = make_artifact("outreach"), make_artifact("outreach")

    first = _decide(api_client, rejected, admin_headers, decision="reject", reason="off tone")
    second = _decide(
        api_client, regenerated, admin_headers, decision="regenerate", reason="shorter"
    )

    assert first.json()["status"] == "rejected"
    assert second.json()["status"] == "regenerate_requested"
    assert sorted(ReviewDecision.objects.values_list("reason", flat=True)) == [
        "off tone",
        "shorter",
    ]


def test_an_unknown_entity_type_or_id_is_not_found_for_a_decision(api_client, admin_headers):
    missing = api_client.post(
        f"{URL}/outreach/999999/decision", {"decision": "approve"}, format="json", **admin_headers
    )
    unknown = api_client.post(
        f"{URL}/nonsense/1/decision", {"decision": "approve"}, format="json", **admin_headers
    )

    assert missing.status_code == 404
    assert unknown.status_code == 404


def test_a_replayed_decision_returns_the_first_answer_without_deciding_again(
    api_client, admin_headers
):
    draft = make_artifact("outreach")
    headers = {**admin_headers, "HTTP_IDEMPOTENCY_KEY": "decide-1"}

    first = _decide(api_client, draft, headers, decision="approve")
    again = _decide(api_client, draft, headers, decision="approve")
    other_body = _decide(api_client, draft, headers, decision="reject", reason="x")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotency-Replayed"] == "true"
    assert other_body.status_code == 422
    assert ReviewDecision.objects.count() == 1


# --------------------------------------------------------------------------- tenants


def test_a_token_of_one_tenant_is_refused_on_another_tenants_host(
    tenant, api_client, admin_headers, other_tenant
):
    draft = make_artifact("outreach")
    other = APIClient(HTTP_HOST=OTHER_DOMAIN)

    listing = other.get(URL, **admin_headers)
    detail = other.get(_detail(draft), **admin_headers)
    decision = other.post(
        f"{_detail(draft)}/decision", {"decision": "approve"}, format="json", **admin_headers
    )

    assert (listing.status_code, detail.status_code, decision.status_code) == (401, 401, 401)
    connection.set_tenant(tenant)
    assert item_of(draft).status == ReviewStatus.PENDING_REVIEW


def test_another_tenants_artifact_ids_are_not_found_here(
    tenant, api_client, admin_headers, in_other_tenant
):
    with in_other_tenant():
        foreign = make_artifact("outreach")
    connection.set_tenant(tenant)

    detail = api_client.get(_detail(foreign), **admin_headers)
    listing = api_client.get(URL, {"status": "all"}, **admin_headers)
    decision = _decide(api_client, foreign, admin_headers, decision="approve")

    assert detail.status_code == 404
    assert decision.status_code == 404
    assert listing.json()["results"] == []
    with in_other_tenant():
        assert item_of(foreign).status == ReviewStatus.PENDING_REVIEW


# --------------------------------------------------------------------------- races


@pytest.mark.django_db
def test_two_parallel_decisions_on_one_artifact_one_wins_the_other_gets_409(committed_tenant):
    tenant = committed_tenant.tenant
    domain = committed_tenant.domain.domain

    def given() -> tuple[str, str, int]:
        with schema_context(tenant.schema_name):
            first, second = UserFactory(role=Role.SDR), UserFactory(role=Role.ADMIN)
            draft = make_artifact("outreach")
            return access_token_issue(user=first), access_token_issue(user=second), draft.pk

    first_token, second_token, pk = in_own_connection(given)
    barrier = threading.Barrier(2)

    def decide(token: str) -> int:
        try:
            client = APIClient(HTTP_HOST=domain)
            barrier.wait()
            return client.post(
                f"{URL}/outreach/{pk}/decision",
                {"decision": "approve"},
                format="json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            ).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(decide, [first_token, second_token]))

    def decisions() -> int:
        with schema_context(tenant.schema_name):
            return ReviewDecision.objects.count()

    assert statuses == [200, 409]
    assert in_own_connection(decisions) == 1
