"""The one way to submit, decide and apply reviewable artifacts."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, transaction

from revo.accounts.models import User
from revo.accounts.roles import Role, role_has_permission
from revo.audit.models import StateTransition
from revo.audit.services import record_creation, transition_apply
from revo.core.exceptions import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from revo.reviews import registry
from revo.reviews.models import (
    ReviewableArtifact,
    ReviewDecision,
    ReviewDecisionKind,
    ReviewItem,
    ReviewSettings,
    ReviewStatus,
)

logger = logging.getLogger(__name__)

_TITLE_MAX = 300


def _item_fields(artifact: ReviewableArtifact) -> dict[str, Any]:
    amount, currency = artifact.review_amount()
    return {
        "entity_type": artifact.REVIEW_ENTITY_TYPE,
        "status": artifact.review_status,
        "title": artifact.review_title()[:_TITLE_MAX],
        "agent": artifact.agent,
        "llm_backend": artifact.llm_backend,
        "confidence": artifact.confidence,
        "amount": amount,
        "currency": currency or "",
        "flagged": bool(artifact.flagged_reasons),
        "requires_admin": artifact.review_requires_admin(),
        "auto_approved": artifact.auto_approved,
        "decided_at": artifact.reviewed_at,
    }


def review_item_sync(*, artifact: ReviewableArtifact) -> ReviewItem:
    """Bring the queue's index row in step with the artifact (create it if missing)."""
    item, _ = ReviewItem.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(type(artifact)),
        object_id=artifact.pk,
        defaults=_item_fields(artifact),
        create_defaults={**_item_fields(artifact), "created_at": artifact.created_at},
    )
    return item


def review_item_build(*, artifact: ReviewableArtifact) -> ReviewItem:
    """An unsaved queue row for an artifact, for bulk loading with ``bulk_create`` (data
    imports, benchmarks); ``review_submit`` is the way for artifacts made one by one."""
    return ReviewItem(
        content_type=ContentType.objects.get_for_model(type(artifact)),
        object_id=artifact.pk,
        created_at=artifact.created_at,
        **_item_fields(artifact),
    )


@transaction.atomic
def review_submit(
    *,
    artifact: ReviewableArtifact,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
) -> ReviewItem:
    """Put a freshly created artifact (status pending_review) in the queue: keeps the AI
    original of its editable fields, writes its first audit row and its queue row."""
    return review_submit_within(artifact=artifact, by=by, run_id=run_id)


def review_submit_within(
    *,
    artifact: ReviewableArtifact,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    also_audit: Iterable[StateTransition] = (),
) -> ReviewItem:
    """``review_submit`` for a service that already holds the write transaction the
    artifact was created in (call it inside that ``transaction.atomic()``): no savepoint of
    its own, a failure rolls back the caller's transaction. ``also_audit``: unsaved history
    rows of the same transaction, written in the same statement as the artifact's first."""
    if registry.artifact_type_for_model(type(artifact)) is None:
        raise ValueError(f"{type(artifact).__name__} is not a registered artifact type")
    if not artifact.ai_original:
        artifact.ai_original = review_original_values(artifact=artifact)
        artifact.save(update_fields=["ai_original", "updated_at"])
    record_creation(instance=artifact, field="review_status", by=by, run_id=run_id, also=also_audit)
    # One upsert (INSERT .. ON CONFLICT DO UPDATE) instead of a locked read and an insert.
    fields = _item_fields(artifact)
    (item,) = ReviewItem.objects.bulk_create(
        [
            ReviewItem(
                content_type=ContentType.objects.get_for_model(type(artifact)),
                object_id=artifact.pk,
                created_at=artifact.created_at,
                **fields,
            )
        ],
        update_conflicts=True,
        unique_fields=["content_type", "object_id"],
        update_fields=list(fields),
    )
    return item


def review_original_values(*, artifact: ReviewableArtifact) -> dict[str, Any]:
    """The AI original of an artifact's editable fields, as ``review_submit`` keeps it; a
    service may set ``ai_original`` to it before the artifact's INSERT (saves an UPDATE)."""
    return _jsonable(artifact.review_editable_values())


def review_can_decide(*, user: User, artifact: ReviewableArtifact) -> tuple[bool, str]:
    """Whether ``user`` may decide ``artifact``, and if not, why."""
    if not user.is_active:
        return False, "inactive users cannot decide"
    if not role_has_permission(user.role, artifact.REVIEW_PERMISSION):
        return False, f"role {user.role} may not decide {artifact.REVIEW_ENTITY_TYPE} artifacts"
    if artifact.review_requires_admin() and user.role != Role.ADMIN:
        return False, "this artifact exceeds the policy limit and needs an admin's decision"
    if (
        artifact.created_by_id is not None
        and artifact.created_by_id == user.pk
        and ReviewSettings.current().forbid_self_approval
    ):
        return False, "this tenant does not allow approving your own artifacts"
    return True, ""


def _lock(model: type[ReviewableArtifact], pk: Any) -> ReviewableArtifact:
    """Lock the artifact row without waiting: a second reviewer deciding the same artifact
    at the same moment gets a conflict instead of queueing behind the first."""
    try:
        return model.objects.select_for_update(nowait=True).get(pk=pk)
    except model.DoesNotExist:
        raise NotFound(f"{model.REVIEW_ENTITY_TYPE} {pk} does not exist") from None
    except OperationalError:
        raise Conflict(
            f"{model.REVIEW_ENTITY_TYPE} {pk} is being decided by someone else right now"
        ) from None


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v))
        for k, v in values.items()
    }


@dataclass(frozen=True)
class DecisionResult:
    artifact: ReviewableArtifact
    decision: ReviewDecision


@transaction.atomic
def review_decide(
    *,
    entity_type: str,
    entity_id: Any,
    decision: str,
    by: User,
    reason: str = "",
    edits: dict[str, Any] | None = None,
) -> DecisionResult:
    """Approve, edit-and-approve, reject (reason required) or request regeneration (the
    reason is the instruction) of one artifact. Exactly one of two concurrent deciders
    wins; the other gets ``Conflict``. Every decision is audited."""
    artifact_type = registry.artifact_type(entity_type)
    if artifact_type is None:
        raise NotFound(f"unknown review entity type {entity_type!r}")
    try:
        kind = ReviewDecisionKind(decision)
    except ValueError:
        raise InvalidInput(
            f"unknown decision {decision!r}",
            details={"allowed": [k for k in ReviewDecisionKind.values if k != "auto_approve"]},
        ) from None
    if kind == ReviewDecisionKind.AUTO_APPROVE:
        raise InvalidInput("auto_approve is applied by policy, not by a person")
    reason = (reason or "").strip()
    if kind in (ReviewDecisionKind.REJECT, ReviewDecisionKind.REGENERATE) and not reason:
        raise InvalidInput(f"a reason is required to {kind.label.lower()}")
    if kind == ReviewDecisionKind.EDIT_APPROVE and not edits:
        raise InvalidInput("edit_approve needs the edited fields")
    if edits and kind != ReviewDecisionKind.EDIT_APPROVE:
        raise InvalidInput("edits are only accepted with edit_approve")

    artifact = _lock(artifact_type.model, entity_id)
    allowed, why = review_can_decide(user=by, artifact=artifact)
    if not allowed:
        raise PermissionDenied(why)

    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    update_fields: list[str] = ["reviewed_by", "decision_reason"]
    if kind == ReviewDecisionKind.EDIT_APPROVE:
        unknown = sorted(set(edits) - set(artifact.REVIEW_EDITABLE_FIELDS))
        if unknown:
            raise InvalidInput(
                f"fields not editable: {', '.join(unknown)}",
                details={"editable": list(artifact.REVIEW_EDITABLE_FIELDS)},
            )
        for name, value in edits.items():
            old = getattr(artifact, name)
            if old != value:
                before[name], after[name] = old, value
                setattr(artifact, name, value)
                update_fields.append(name)
        _validate_edits(artifact, update_fields)
        artifact.edited = bool(after) or artifact.edited
        update_fields.append("edited")

    artifact.reviewed_by = by
    artifact.decision_reason = reason
    transition = {
        ReviewDecisionKind.APPROVE: "approve",
        ReviewDecisionKind.EDIT_APPROVE: "approve",
        ReviewDecisionKind.REJECT: "reject",
        ReviewDecisionKind.REGENERATE: "request_regeneration",
    }[kind]
    transition_apply(
        instance=artifact,
        transition=transition,
        field="review_status",
        by=by,
        reason=reason,
        update_fields=[*update_fields, "reviewed_at"],
    )
    item = review_item_sync(artifact=artifact)
    record = ReviewDecision.objects.create(
        item=item,
        decision=kind,
        reason=reason,
        before=_jsonable(before),
        after=_jsonable(after),
        by_user=by,
    )
    if artifact.review_status == ReviewStatus.APPROVED and artifact_type.on_approved:
        artifact_type.on_approved(artifact, record)
    elif artifact.review_status != ReviewStatus.APPROVED and artifact_type.on_rejected:
        artifact_type.on_rejected(artifact, record)
    logger.info(
        "review decided",
        extra={
            "event": "review.decided",
            "entity_type": entity_type,
            "entity_id": str(artifact.pk),
            "decision": str(kind),
        },
    )
    return DecisionResult(artifact=artifact, decision=record)


def _validate_edits(artifact: ReviewableArtifact, fields: Iterable[str]) -> None:
    from django.core.exceptions import ValidationError

    editable = [f for f in fields if f in artifact.REVIEW_EDITABLE_FIELDS]
    try:
        artifact.clean_fields(
            exclude=[f.name for f in artifact._meta.fields if f.name not in editable]
        )
    except ValidationError as exc:
        raise InvalidInput("edited fields are invalid", details=exc.message_dict) from None


@transaction.atomic
def review_auto_approve(
    *, artifact: ReviewableArtifact, run_id: uuid.UUID | str | None, reason: str
) -> DecisionResult:
    """Approve an artifact by tenant policy (never contracts: the caller's policy decides,
    this refuses contract types as a last line of defence)."""
    if artifact.REVIEW_ENTITY_TYPE == "contract":
        raise PermissionDenied("contracts are never auto-approved")
    artifact_type = registry.artifact_type(artifact.REVIEW_ENTITY_TYPE)
    locked = _lock(type(artifact), artifact.pk)
    locked.auto_approved = True
    locked.decision_reason = reason
    transition_apply(
        instance=locked,
        transition="approve",
        field="review_status",
        run_id=run_id,
        reason=reason,
        update_fields=["auto_approved", "decision_reason", "reviewed_at"],
    )
    item = review_item_sync(artifact=locked)
    record = ReviewDecision.objects.create(
        item=item, decision=ReviewDecisionKind.AUTO_APPROVE, reason=reason, by_run_id=run_id
    )
    if artifact_type is not None and artifact_type.on_approved:
        artifact_type.on_approved(locked, record)
    return DecisionResult(artifact=locked, decision=record)


@transaction.atomic
def review_mark_applied(
    *,
    artifact: ReviewableArtifact,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    reason: str = "",
) -> ReviewableArtifact:
    """Code acted on an approved artifact (sent the email, advanced the deal)."""
    locked = type(artifact).objects.select_for_update().get(pk=artifact.pk)
    transition_apply(
        instance=locked,
        transition="mark_applied",
        field="review_status",
        by=by,
        run_id=run_id,
        reason=reason,
    )
    review_item_sync(artifact=locked)
    return locked


@dataclass(frozen=True)
class BulkOutcome:
    entity_type: str
    entity_id: Any
    ok: bool
    error: str = ""


def review_decide_bulk(
    *,
    items: Iterable[tuple[str, Any]],
    decision: str,
    by: User,
    reason: str = "",
) -> list[BulkOutcome]:
    """Approve or reject many artifacts with one reason. Each is decided in its own
    transaction: one that fails (decided meanwhile, not permitted) never blocks the rest."""
    if decision not in (ReviewDecisionKind.APPROVE, ReviewDecisionKind.REJECT):
        raise InvalidInput("bulk decisions are approve or reject")
    outcomes = []
    for entity_type, entity_id in items:
        try:
            review_decide(
                entity_type=entity_type,
                entity_id=entity_id,
                decision=decision,
                by=by,
                reason=reason,
            )
        except DomainError as exc:
            outcomes.append(BulkOutcome(entity_type, entity_id, ok=False, error=exc.message))
        else:
            outcomes.append(BulkOutcome(entity_type, entity_id, ok=True))
    return outcomes


@transaction.atomic
def review_settings_update(*, forbid_self_approval: bool) -> ReviewSettings:
    settings_row = ReviewSettings.current()
    settings_row.forbid_self_approval = forbid_self_approval
    settings_row.save()
    return settings_row


__all__ = [
    "DecisionResult",
    "review_auto_approve",
    "review_can_decide",
    "review_decide",
    "review_decide_bulk",
    "review_item_build",
    "review_item_sync",
    "review_mark_applied",
    "review_submit",
]
