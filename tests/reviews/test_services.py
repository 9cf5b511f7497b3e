from __future__ import annotations

import dataclasses
import uuid

import pytest

from revo.accounts.roles import Role
from revo.audit.models import StateTransition
from revo.audit.selectors import history_for
from revo.core.exceptions import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from revo.reviews import registry
from revo.reviews.models import ReviewDecision, ReviewSettings, ReviewStatus
from revo.reviews.services import (
    review_auto_approve,
    review_can_decide,
    review_decide,
    review_decide_bulk,
    review_mark_applied,
    review_settings_update,
)
from tests.reviews.artifacts import (
    DECIDERS,
    ENTITY_TYPES,
    decider_role,
    item_of,
    make_artifact,
    submitted_contract,
)

# An approved artifact may already have been acted on by its type's on_approved hook.
APPROVED = {ReviewStatus.APPROVED, ReviewStatus.APPLIED}


def _decide(artifact, user, decision, **kwargs):  # noqa: ANN001, ANN003, ANN202
    return review_decide(
        entity_type=artifact.REVIEW_ENTITY_TYPE,
        entity_id=artifact.pk,
        decision=decision,
        by=user,
        **kwargs,
    )


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_submitted_artifact_is_pending_in_the_queue_with_its_ai_original(tenant, entity_type):
    artifact = make_artifact(entity_type)

    item = item_of(artifact)
    assert item.status == ReviewStatus.PENDING_REVIEW
    assert item.entity_type == entity_type
    assert item.title
    assert set(artifact.ai_original) == set(artifact.REVIEW_EDITABLE_FIELDS)
    creation = history_for(artifact).get(field="review_status")
    assert (creation.transition, creation.to_state) == ("create", ReviewStatus.PENDING_REVIEW)


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_approve_records_decision_audit_row_and_queue_status(tenant, user_of, entity_type):
    reviewer = user_of(decider_role(entity_type))
    artifact = make_artifact(entity_type)

    result = _decide(artifact, reviewer, "approve")

    artifact.refresh_from_db()
    assert artifact.review_status in APPROVED
    assert artifact.reviewed_by == reviewer
    assert artifact.reviewed_at is not None
    assert item_of(artifact).status == artifact.review_status
    assert item_of(artifact).decided_at == artifact.reviewed_at
    assert result.decision.decision == "approve"
    assert result.decision.by_user == reviewer
    approval = history_for(artifact).get(field="review_status", transition="approve")
    assert (approval.from_state, approval.to_state, approval.by_user) == (
        ReviewStatus.PENDING_REVIEW,
        ReviewStatus.APPROVED,
        reviewer,
    )


def test_edit_and_approve_keeps_ai_original_and_records_before_and_after(tenant, user_of):
    reviewer = user_of(Role.SDR)
    artifact = make_artifact("outreach")
    original_subject = artifact.subject

    result = _decide(
        artifact,
        reviewer,
        "edit_approve",
        edits={"subject": "A sharper subject", "body": artifact.body},
    )

    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.APPROVED
    assert artifact.subject == "A sharper subject"
    assert artifact.edited is True
    assert artifact.ai_original["subject"] == original_subject
    assert result.decision.before == {"subject": original_subject}
    assert result.decision.after == {"subject": "A sharper subject"}


def test_edit_and_approve_refuses_fields_that_are_not_editable(tenant, user_of):
    artifact = make_artifact("outreach")

    with pytest.raises(InvalidInput, match="not editable: to_email"):
        _decide(artifact, user_of(Role.SDR), "edit_approve", edits={"to_email": "x@evil.example"})

    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW
    assert not ReviewDecision.objects.exists()


def test_edit_and_approve_refuses_invalid_edits_and_writes_nothing(tenant, user_of):
    artifact = make_artifact("outreach")

    with pytest.raises(InvalidInput, match="edited fields are invalid") as caught:
        _decide(artifact, user_of(Role.SDR), "edit_approve", edits={"subject": "x" * 201})

    assert "subject" in caught.value.details
    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW
    assert artifact.subject != "x" * 201


@pytest.mark.parametrize(
    ("decision", "target"),
    [("reject", ReviewStatus.REJECTED), ("regenerate", ReviewStatus.REGENERATE_REQUESTED)],
    ids=["reject", "regenerate"],
)
@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_reject_and_regenerate_need_a_reason(tenant, user_of, decision, target, reason):
    artifact = make_artifact("outreach")

    with pytest.raises(InvalidInput, match="reason is required"):
        _decide(artifact, user_of(Role.SDR), decision, reason=reason)

    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW
    assert history_for(artifact).count() == 1


@pytest.mark.parametrize(
    ("decision", "target"),
    [("reject", ReviewStatus.REJECTED), ("regenerate", ReviewStatus.REGENERATE_REQUESTED)],
    ids=["reject", "regenerate"],
)
def test_reject_and_regenerate_record_the_reason(tenant, user_of, decision, target):
    artifact = make_artifact("outreach")

    result = _decide(artifact, user_of(Role.SDR), decision, reason="Too pushy; be brief")

    artifact.refresh_from_db()
    assert artifact.review_status == target
    assert artifact.decision_reason == "Too pushy; be brief"
    assert result.decision.reason == "Too pushy; be brief"
    assert history_for(artifact).last().reason == "Too pushy; be brief"


def test_unknown_entity_type_is_not_found(tenant, admin_user):
    with pytest.raises(NotFound, match="unknown review entity type"):
        review_decide(entity_type="horoscope", entity_id=1, decision="approve", by=admin_user)


def test_missing_artifact_is_not_found(tenant, admin_user):
    with pytest.raises(NotFound, match="does not exist"):
        review_decide(entity_type="outreach", entity_id=999_999, decision="approve", by=admin_user)


@pytest.mark.parametrize("decision", ["ship_it", "auto_approve"])
def test_unknown_or_policy_only_decision_is_invalid(tenant, admin_user, decision):
    artifact = make_artifact("outreach")

    with pytest.raises(InvalidInput):
        _decide(artifact, admin_user, decision)


def _bring_to(artifact, state: str, user) -> None:  # noqa: ANN001
    if state == ReviewStatus.APPROVED:
        _decide(artifact, user, "approve")
    elif state == ReviewStatus.REJECTED:
        _decide(artifact, user, "reject", reason="no")
    elif state == ReviewStatus.REGENERATE_REQUESTED:
        _decide(artifact, user, "regenerate", reason="again")
    elif state == ReviewStatus.APPLIED:
        _decide(artifact, user, "approve")
        review_mark_applied(artifact=artifact, by=user)


@pytest.mark.parametrize(
    "state",
    [
        ReviewStatus.APPROVED,
        ReviewStatus.REJECTED,
        ReviewStatus.REGENERATE_REQUESTED,
        ReviewStatus.APPLIED,
    ],
)
@pytest.mark.parametrize("decision", ["approve", "edit_approve", "reject", "regenerate"])
def test_deciding_an_already_decided_artifact_is_an_illegal_transition(
    tenant, admin_user, state, decision
):
    artifact = make_artifact("outreach")
    _bring_to(artifact, state, admin_user)
    decisions_before = ReviewDecision.objects.count()
    edits = {"subject": "changed"} if decision == "edit_approve" else None

    with pytest.raises(IllegalTransition) as caught:
        _decide(artifact, admin_user, decision, reason="why", edits=edits)

    assert caught.value.current == state
    artifact.refresh_from_db()
    assert artifact.review_status == state
    assert ReviewDecision.objects.count() == decisions_before


def test_mark_applied_only_after_approval(tenant, admin_user):
    artifact = make_artifact("outreach")

    with pytest.raises(IllegalTransition):
        review_mark_applied(artifact=artifact, by=admin_user)
    _decide(artifact, admin_user, "approve")
    applied = review_mark_applied(artifact=artifact, by=admin_user)

    assert applied.review_status == ReviewStatus.APPLIED
    assert item_of(artifact).status == ReviewStatus.APPLIED


def test_self_approval_is_forbidden_by_default(tenant, user_of):
    author = user_of(Role.SDR)
    artifact = make_artifact("outreach", created_by=author)

    with pytest.raises(PermissionDenied, match="own artifacts"):
        _decide(artifact, author, "approve")

    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.PENDING_REVIEW


def test_self_approval_is_allowed_when_the_tenant_allows_it(tenant, user_of):
    author = user_of(Role.SDR)
    artifact = make_artifact("outreach", created_by=author)
    review_settings_update(forbid_self_approval=False)

    _decide(artifact, author, "approve")

    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.APPROVED
    assert ReviewSettings.current().forbid_self_approval is False


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_only_the_right_roles_decide_each_artifact_type(tenant, user_of, entity_type, role):
    user = user_of(role)
    artifact = make_artifact(entity_type)
    expected = role in DECIDERS[entity_type]

    assert review_can_decide(user=user, artifact=artifact)[0] is expected
    if expected:
        _decide(artifact, user, "approve")
        artifact.refresh_from_db()
        assert artifact.review_status in APPROVED
    else:
        with pytest.raises(PermissionDenied):
            _decide(artifact, user, "approve")
        artifact.refresh_from_db()
        assert artifact.review_status == ReviewStatus.PENDING_REVIEW


def test_inactive_user_cannot_decide(tenant, user_of):
    user = user_of(Role.ADMIN)
    user.is_active = False
    artifact = make_artifact("outreach")

    with pytest.raises(PermissionDenied, match="inactive"):
        _decide(artifact, user, "approve")


def test_bulk_decision_reports_each_outcome_and_never_blocks_the_rest(tenant, user_of):
    sdr = user_of(Role.SDR)
    ok_one, ok_two = make_artifact("outreach"), make_artifact("outreach")
    already = make_artifact("outreach")
    _decide(already, user_of(Role.ADMIN), "reject", reason="earlier")
    own = make_artifact("outreach", created_by=sdr)
    items = [
        ("outreach", ok_one.pk),
        ("outreach", already.pk),
        ("outreach", own.pk),
        ("horoscope", 1),
        ("outreach", ok_two.pk),
    ]

    outcomes = review_decide_bulk(items=items, decision="approve", by=sdr, reason="batch")

    assert [o.ok for o in outcomes] == [True, False, False, False, True]
    assert "cannot approve" in outcomes[1].error
    assert "own artifacts" in outcomes[2].error
    assert "unknown review entity type" in outcomes[3].error
    for artifact, status in (
        (ok_one, ReviewStatus.APPROVED),
        (ok_two, ReviewStatus.APPROVED),
        (already, ReviewStatus.REJECTED),
        (own, ReviewStatus.PENDING_REVIEW),
    ):
        artifact.refresh_from_db()
        assert artifact.review_status == status


def test_bulk_reject_needs_a_reason_for_each_item(tenant, user_of):
    artifact = make_artifact("outreach")

    outcomes = review_decide_bulk(
        items=[("outreach", artifact.pk)], decision="reject", by=user_of(Role.SDR)
    )

    assert not outcomes[0].ok
    assert "reason is required" in outcomes[0].error


@pytest.mark.parametrize("decision", ["edit_approve", "regenerate"])
def test_bulk_decisions_are_approve_or_reject_only(tenant, admin_user, decision):
    with pytest.raises(InvalidInput):
        review_decide_bulk(items=[], decision=decision, by=admin_user, reason="x")


def test_auto_approve_records_the_run_and_policy_reason(tenant):
    artifact = make_artifact("outreach")
    run_id = uuid.uuid4()

    result = review_auto_approve(artifact=artifact, run_id=run_id, reason="level 1 under 100")

    artifact.refresh_from_db()
    assert artifact.review_status == ReviewStatus.APPROVED
    assert artifact.auto_approved is True
    assert item_of(artifact).auto_approved is True
    assert result.decision.decision == "auto_approve"
    assert result.decision.by_run_id == run_id
    assert history_for(artifact).last().by_run_id == run_id


def test_every_decision_writes_exactly_one_state_transition(tenant, admin_user):
    artifacts = [make_artifact("outreach") for _ in range(4)]
    before = StateTransition.objects.count()

    _decide(artifacts[0], admin_user, "approve")
    _decide(artifacts[1], admin_user, "edit_approve", edits={"subject": "Edited"})
    _decide(artifacts[2], admin_user, "reject", reason="off-brand")
    _decide(artifacts[3], admin_user, "regenerate", reason="shorter")

    rows = StateTransition.objects.order_by("id")[before:]
    assert [(r.transition, r.to_state) for r in rows] == [
        ("approve", "approved"),
        ("approve", "approved"),
        ("reject", "rejected"),
        ("request_regeneration", "regenerate_requested"),
    ]
    assert all(r.by_user == admin_user for r in rows)


def test_contract_discount_above_the_policy_limit_needs_an_admin(tenant, user_of):
    contract = submitted_contract(discount_pct="20")
    sales = user_of(Role.SALES)

    assert item_of(contract).requires_admin is True
    with pytest.raises(PermissionDenied, match="policy limit"):
        _decide(contract, sales, "approve")
    contract.refresh_from_db()
    assert contract.review_status == ReviewStatus.PENDING_REVIEW

    _decide(contract, user_of(Role.ADMIN), "approve")
    contract.refresh_from_db()
    assert contract.review_status in APPROVED


def test_contract_within_the_policy_limit_is_decided_by_sales(tenant, user_of):
    contract = submitted_contract(discount_pct="10")

    assert item_of(contract).requires_admin is False
    _decide(contract, user_of(Role.SALES), "approve")
    contract.refresh_from_db()
    assert contract.review_status in APPROVED


def test_auto_approve_refuses_contracts(tenant):
    contract = submitted_contract()

    with pytest.raises(PermissionDenied, match="never auto-approved"):
        review_auto_approve(artifact=contract, run_id=uuid.uuid4(), reason="policy")

    contract.refresh_from_db()
    assert contract.review_status == ReviewStatus.PENDING_REVIEW
    assert not ReviewDecision.objects.filter(item=item_of(contract)).exists()


@pytest.mark.parametrize(
    ("decision", "reason", "hook"),
    [
        ("approve", "", "on_approved"),
        ("reject", "no", "on_rejected"),
        ("regenerate", "shorter", "on_rejected"),
    ],
)
def test_registered_hooks_run_inside_the_decision(
    tenant, admin_user, monkeypatch, decision, reason, hook
):
    calls: list[tuple[str, str, str]] = []
    registered = registry.artifact_type("outreach")
    monkeypatch.setitem(
        registry._REGISTRY,
        "outreach",
        dataclasses.replace(
            registered,
            on_approved=lambda a, d: calls.append(("on_approved", a.review_status, d.decision)),
            on_rejected=lambda a, d: calls.append(("on_rejected", a.review_status, d.decision)),
        ),
    )
    artifact = make_artifact("outreach")

    result = _decide(artifact, admin_user, decision, reason=reason)

    assert calls == [(hook, result.artifact.review_status, decision)]
