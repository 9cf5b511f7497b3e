"""Which models are reviewable artifacts, and what code runs once one is approved.

Domain apps register their artifact models in ``AppConfig.ready()``::

    register_artifact(OutreachMessage, on_approved=outreach_on_approved)

``on_approved(artifact, decision)`` runs inside the decision's transaction; anything that
talks to the network must be deferred with ``transaction.on_commit``. ``on_rejected``
(optional) runs the same way when a person rejects the artifact or asks for a
regeneration (``decision.decision`` tells which), so a model whose own status follows the
review (a contract is voided) stays in step whoever decides: the admin, the API, a bulk
decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from revo.reviews.models import ReviewableArtifact, ReviewDecision

OnApproved = Callable[[ReviewableArtifact, ReviewDecision], None]
OnRejected = Callable[[ReviewableArtifact, ReviewDecision], None]


@dataclass(frozen=True)
class ArtifactType:
    entity_type: str
    model: type[ReviewableArtifact]
    permission: str
    on_approved: OnApproved | None = None
    on_rejected: OnRejected | None = None


_REGISTRY: dict[str, ArtifactType] = {}


def register_artifact(
    model: type[ReviewableArtifact],
    *,
    on_approved: OnApproved | None = None,
    on_rejected: OnRejected | None = None,
) -> ArtifactType:
    entity_type = model.REVIEW_ENTITY_TYPE
    if not entity_type or not model.REVIEW_PERMISSION:
        raise ValueError(f"{model.__name__} must set REVIEW_ENTITY_TYPE and REVIEW_PERMISSION")
    existing = _REGISTRY.get(entity_type)
    if existing is not None and existing.model is not model:
        raise ValueError(f"entity type {entity_type!r} is already registered")
    artifact_type = ArtifactType(
        entity_type=entity_type,
        model=model,
        permission=model.REVIEW_PERMISSION,
        on_approved=on_approved,
        on_rejected=on_rejected,
    )
    _REGISTRY[entity_type] = artifact_type
    return artifact_type


def artifact_type(entity_type: str) -> ArtifactType | None:
    return _REGISTRY.get(entity_type)


def artifact_type_for_model(model: type) -> ArtifactType | None:
    return next((t for t in _REGISTRY.values() if t.model is model), None)


def artifact_types() -> list[ArtifactType]:
    return sorted(_REGISTRY.values(), key=lambda t: t.entity_type)
