"""How the review tests make an artifact of each type, and who may decide it.

Each concrete artifact type gets one maker (its own factory, which creates it through its
service and submits it for review). The review tests are parametrised over every type
listed here, so a new type is covered by adding one line."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.contracts.models import Contract
from revo.contracts.services import LineInput, contract_submit
from revo.reviews.models import ReviewableArtifact, ReviewItem
from revo.reviews.services import review_item_sync
from tests.contracts.factories import ContractFactory
from tests.deals.factories import DealProposalFactory
from tests.leads.factories import OutreachMessageFactory

Maker = Callable[[], ReviewableArtifact]


def submitted_contract(*, discount_pct: str = "0") -> Contract:
    """A contract in review; a line discount above the tenant's policy limit (15% by
    default) makes it an admin's decision."""
    lines = [LineInput(description="Licence", quantity="10", unit_price="100.00")]
    if discount_pct != "0":
        lines.append(
            LineInput(
                description="Onboarding",
                quantity="1",
                unit_price="500.00",
                discount_pct=discount_pct,
            )
        )
    return contract_submit(contract=ContractFactory(lines=lines))


MAKERS: dict[str, Maker] = {
    "outreach": lambda: OutreachMessageFactory(),
    "deal_proposal": lambda: DealProposalFactory(),
    "contract": lambda: submitted_contract(),
}

# Who decides what (issue 3: sdr decides outreach; sales deals and contracts; finance
# invoices and dunning; admin anything; a viewer nothing).
DECIDERS: dict[str, set[str]] = {
    "outreach": {Role.SDR, Role.ADMIN},
    "deal_proposal": {Role.SALES, Role.ADMIN},
    "contract": {Role.SALES, Role.ADMIN},
    "invoice": {Role.FINANCE, Role.ADMIN},
    "dunning": {Role.FINANCE, Role.ADMIN},
}

ENTITY_TYPES = sorted(MAKERS)


def decider_role(entity_type: str) -> str:
    """A non-admin role that may decide the type."""
    return next(role for role in sorted(DECIDERS[entity_type]) if role != Role.ADMIN)


def make_artifact(
    entity_type: str = "outreach",
    *,
    created_by: User | None = None,
    confidence: str | Decimal | None = None,
    agent: str | None = None,
    llm_backend: str | None = None,
    flagged_reasons: list[str] | None = None,
) -> ReviewableArtifact:
    """A pending artifact of ``entity_type`` made by its own factory, with the review
    columns the test cares about set afterwards (and the queue row kept in step)."""
    artifact = MAKERS[entity_type]()
    changes: dict[str, Any] = {}
    if created_by is not None:
        changes["created_by"] = created_by
    if confidence is not None:
        changes["confidence"] = Decimal(str(confidence))
    if agent is not None:
        changes["agent"] = agent
    if llm_backend is not None:
        changes["llm_backend"] = llm_backend
    if flagged_reasons is not None:
        changes["flagged_reasons"] = flagged_reasons
    if changes:
        type(artifact).objects.filter(pk=artifact.pk).update(**changes)
        artifact.refresh_from_db()
        review_item_sync(artifact=artifact)
    return artifact


def item_of(artifact: ReviewableArtifact) -> ReviewItem:
    from django.contrib.contenttypes.models import ContentType

    return ReviewItem.objects.get(
        content_type=ContentType.objects.get_for_model(type(artifact)), object_id=artifact.pk
    )
