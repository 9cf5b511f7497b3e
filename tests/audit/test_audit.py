from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revo.accounts.roles import Role
from revo.audit.models import StateTransition
from revo.audit.selectors import history_for
from revo.audit.services import allowed_transitions, record_creation, transition_apply
from revo.core.exceptions import IllegalTransition
from revo.reviews.models import ReviewStatus
from tests.factories import UserFactory
from tests.reviews.artifacts import make_artifact

AUDIT = "/admin/audit/statetransition/"


def test_transition_writes_one_history_row_with_who_why_and_states(tenant):
    user = UserFactory(role=Role.ADMIN)
    artifact = make_artifact("outreach")

    transition_apply(
        instance=artifact,
        transition="reject",
        field="review_status",
        by=user,
        reason="off-topic",
        data={"source": "test"},
        update_fields=["reviewed_at"],
    )

    row = history_for(artifact).last()
    assert (row.field, row.transition, row.from_state, row.to_state) == (
        "review_status",
        "reject",
        ReviewStatus.PENDING_REVIEW,
        ReviewStatus.REJECTED,
    )
    assert (row.by_user, row.reason, row.data) == (user, "off-topic", {"source": "test"})
    assert row.actor == str(user)
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.REJECTED


def test_transition_by_an_agent_run_records_the_run(tenant):
    artifact = make_artifact("outreach")
    run_id = uuid.uuid4()

    transition_apply(instance=artifact, transition="approve", field="review_status", run_id=run_id)

    row = history_for(artifact).last()
    assert row.by_user is None
    assert row.by_run_id == run_id
    assert row.actor == f"agent run {run_id}"


def test_illegal_transition_lists_the_allowed_ones_and_writes_nothing(tenant):
    artifact = make_artifact("outreach")
    rows_before = StateTransition.objects.count()

    with pytest.raises(IllegalTransition) as caught:
        transition_apply(instance=artifact, transition="mark_applied", field="review_status")

    assert caught.value.current == ReviewStatus.PENDING_REVIEW
    assert caught.value.allowed == ["approve", "reject", "request_regeneration"]
    assert caught.value.allowed == allowed_transitions(artifact, "review_status")
    assert StateTransition.objects.count() == rows_before
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW


def test_unknown_transition_name_is_a_programming_error(tenant):
    artifact = make_artifact("outreach")

    with pytest.raises(ValueError, match="no transition 'publish'"):
        transition_apply(instance=artifact, transition="publish", field="review_status")


def test_history_is_per_object_and_oldest_first(tenant):
    first, second = make_artifact("outreach"), make_artifact("outreach")
    transition_apply(instance=first, transition="approve", field="review_status")
    record_creation(instance=first, field="review_status", reason="re-imported")

    history = list(history_for(first))

    assert [row.transition for row in history] == ["create", "approve", "create"]
    assert all(row.object_id == str(first.pk) for row in history)
    assert [row.transition for row in history_for(second)] == ["create"]


def test_history_rows_are_invisible_from_another_tenant(tenant, in_other_tenant):
    artifact = make_artifact("outreach")
    assert history_for(artifact).exists()

    with in_other_tenant():
        assert not StateTransition.objects.filter(object_id=str(artifact.pk)).exists()


def _login(tenant_client, role: str):  # noqa: ANN001, ANN202
    tenant_client.force_login(UserFactory(role=role))
    return tenant_client


def test_audit_admin_lists_history_with_constant_queries(tenant, tenant_client):
    client = _login(tenant_client, Role.ADMIN)
    for _ in range(3):
        make_artifact("outreach")
    client.get(AUDIT)

    with CaptureQueriesContext(connection) as few:
        assert client.get(AUDIT).status_code == 200
    for _ in range(20):
        transition_apply(
            instance=make_artifact("outreach"),
            transition="approve",
            field="review_status",
            by=UserFactory(role=Role.SDR),
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(AUDIT)

    assert response.status_code == 200
    assert "approve" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_audit_trail_cannot_be_added_changed_or_deleted_even_by_admins(tenant, tenant_client):
    artifact = make_artifact("outreach")
    row = history_for(artifact).get()
    client = _login(tenant_client, Role.ADMIN)

    assert client.get(f"{AUDIT}add/").status_code == 403
    assert client.post(f"{AUDIT}{row.pk}/change/", {"reason": "rewritten"}).status_code == 403
    assert client.post(f"{AUDIT}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.reason == ""


@pytest.mark.parametrize("role", [Role.VIEWER, Role.SDR, Role.SALES, Role.FINANCE])
def test_audit_admin_is_for_admins_only(tenant, tenant_client, role):
    client = _login(tenant_client, role)

    assert client.get(AUDIT).status_code == 403
