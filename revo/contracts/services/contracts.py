"""Contract life cycle: create, edit (drafts only), submit for review, approve (through the
review gate), send, sign, decline, expire, void, revise.

A signed contract is immutable: every service here refuses to change one. A change to a
contract, signed or not, is a new revision (``contract_revise``).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.audit.services import record_creation, transition_apply
from revo.contracts.lock_objects import contract_lock
from revo.contracts.models import (
    Contract,
    ContractLine,
    ContractStatus,
    PricingPolicy,
)
from revo.contracts.services.pricing import (
    LineInput,
    PricedContract,
    lines_price,
    pricing_policy_ensure,
)
from revo.core.exceptions import Conflict, InvalidInput
from revo.deals.history import change_record
from revo.deals.lock_objects import deal_lock
from revo.deals.models import OPEN_DEAL_STAGES, Deal
from revo.reviews.models import ReviewDecision, ReviewStatus
from revo.reviews.services import (
    DecisionResult,
    review_decide,
    review_mark_applied,
    review_submit,
)

logger = logging.getLogger(__name__)

MAX_NET_DAYS = 365
_UNSET: Any = object()


def _validate_terms(*, payment_terms_net_days: int, valid_until: datetime.date | None) -> None:
    if isinstance(payment_terms_net_days, bool) or not isinstance(payment_terms_net_days, int):
        raise InvalidInput("payment_terms_net_days must be a whole number of days")
    if not 0 <= payment_terms_net_days <= MAX_NET_DAYS:
        raise InvalidInput(f"payment_terms_net_days must be between 0 and {MAX_NET_DAYS}")
    if valid_until is not None:
        if not isinstance(valid_until, datetime.date) or isinstance(valid_until, datetime.datetime):
            raise InvalidInput("valid_until must be a date")
        if valid_until < timezone.localdate():
            raise InvalidInput(f"valid_until {valid_until} is in the past")


def _refuse_unless_draft(contract: Contract) -> None:
    if contract.status == ContractStatus.SIGNED:
        raise Conflict("a signed contract is immutable; revise it to change anything")
    if contract.status != ContractStatus.DRAFT:
        raise Conflict(
            f"only draft contracts can be edited (this one is {contract.status}); "
            "revise it to change anything"
        )


def _lines_write(*, contract: Contract, priced: PricedContract) -> None:
    contract.lines.all().delete()
    ContractLine.objects.bulk_create(
        ContractLine(
            contract=contract,
            position=line.position,
            price_list_item=line.price_list_item,
            sku=line.sku,
            description=line.description,
            unit=line.unit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_pct=line.discount_pct,
            line_total=line.line_total,
        )
        for line in priced.lines
    )
    contract.subtotal = priced.subtotal
    contract.discount_total = priced.discount_total
    contract.total = priced.total
    contract.max_line_discount_pct = priced.max_discount_pct
    contract.requires_admin_approval = priced.requires_admin


TOTAL_FIELDS = [
    "subtotal",
    "discount_total",
    "total",
    "max_line_discount_pct",
    "requires_admin_approval",
    "updated_at",
]


def _policy_check(*, contract: Contract, policy: PricingPolicy) -> None:
    """Re-check stored lines against the current policy: the floor refuses, the
    no-approval limit decides whether an admin must approve."""
    lines = list(contract.lines.all())
    if not lines:
        raise InvalidInput("a contract needs at least one line")
    worst = max(line.discount_pct for line in lines)
    if worst > policy.hard_floor_discount_pct:
        raise InvalidInput(
            f"a discount of {worst}% is beyond the pricing policy's floor of "
            f"{policy.hard_floor_discount_pct}%"
        )
    contract.max_line_discount_pct = worst
    contract.requires_admin_approval = worst > policy.max_discount_pct_without_admin


@transaction.atomic
def contract_create(
    *,
    deal: Deal,
    lines: list[LineInput],
    payment_terms_net_days: int = 30,
    valid_until: datetime.date | None = None,
    terms: str = "",
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    agent: str = "",
    confidence: Decimal | None = None,
    flagged_reasons: list[str] | None = None,
    llm_backend: str = "",
    llm_model: str = "",
) -> Contract:
    """The first revision of a deal's contract, in draft, with its lines priced and its
    totals computed here. Later changes are revisions (``contract_revise``)."""
    _validate_terms(payment_terms_net_days=payment_terms_net_days, valid_until=valid_until)
    deal = deal_lock(pk=deal.pk)
    if deal.stage not in OPEN_DEAL_STAGES:
        raise Conflict(f"deal {deal.pk} is {deal.stage}; contracts are written for open deals")
    if Contract.objects.filter(deal=deal).exists():
        raise Conflict(f"deal {deal.pk} already has a contract; revise it instead")
    policy = pricing_policy_ensure()
    priced = lines_price(lines=lines, policy=policy, currency=deal.currency)
    contract = Contract.objects.create(
        deal=deal,
        revision=1,
        currency=deal.currency,
        payment_terms_net_days=payment_terms_net_days,
        valid_until=valid_until,
        terms=terms or "",
        created_by=by,
        run_id=run_id,
        agent=agent,
        confidence=confidence,
        flagged_reasons=list(flagged_reasons or []),
        llm_backend=llm_backend,
        llm_model=llm_model,
    )
    _lines_write(contract=contract, priced=priced)
    contract.save(update_fields=TOTAL_FIELDS)
    record_creation(instance=contract, by=by, run_id=run_id)
    logger.info(
        "contract created",
        extra={"event": "contract.created", "contract": contract.pk, "deal": deal.pk},
    )
    return contract


@transaction.atomic
def contract_lines_set(
    *,
    contract: Contract,
    lines: list[LineInput],
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    reason: str = "",
) -> Contract:
    """Replace a draft's lines; totals are recomputed."""
    contract = contract_lock(pk=contract.pk)
    _refuse_unless_draft(contract)
    before = str(contract.total)
    priced = lines_price(lines=lines, policy=pricing_policy_ensure(), currency=contract.currency)
    _lines_write(contract=contract, priced=priced)
    contract.save(update_fields=TOTAL_FIELDS)
    change_record(
        instance=contract,
        field="status",
        changes={"lines": ("", len(priced.lines)), "total": (before, str(contract.total))},
        by=by,
        run_id=run_id,
        reason=reason,
    )
    return contract


@transaction.atomic
def contract_update(
    *,
    contract: Contract,
    payment_terms_net_days: int = _UNSET,
    valid_until: datetime.date | None = _UNSET,
    terms: str = _UNSET,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    reason: str = "",
) -> Contract:
    """Change a draft's terms. Amounts change only through its lines."""
    contract = contract_lock(pk=contract.pk)
    _refuse_unless_draft(contract)
    new = {
        "payment_terms_net_days": contract.payment_terms_net_days
        if payment_terms_net_days is _UNSET
        else payment_terms_net_days,
        "valid_until": contract.valid_until if valid_until is _UNSET else valid_until,
        "terms": contract.terms if terms is _UNSET else (terms or ""),
    }
    _validate_terms(
        payment_terms_net_days=new["payment_terms_net_days"], valid_until=new["valid_until"]
    )
    changes = {
        name: (getattr(contract, name), value)
        for name, value in new.items()
        if getattr(contract, name) != value
    }
    if not changes:
        return contract
    for name, (_, value) in changes.items():
        setattr(contract, name, value)
    contract.save(update_fields=[*changes, "updated_at"])
    change_record(
        instance=contract, field="status", changes=changes, by=by, run_id=run_id, reason=reason
    )
    return contract


@transaction.atomic
def contract_submit(
    *, contract: Contract, by: User | None = None, run_id: uuid.UUID | str | None = None
) -> Contract:
    """draft → pending_review, and into the review queue. Lines are re-checked against the
    current policy; a discount above the no-approval limit makes it an admin's decision."""
    contract = contract_lock(pk=contract.pk)
    if contract.status == ContractStatus.DRAFT:
        _policy_check(contract=contract, policy=pricing_policy_ensure())
        if contract.valid_until is not None and contract.is_past_validity():
            raise InvalidInput(f"valid_until {contract.valid_until} is in the past")
    transition_apply(
        instance=contract,
        transition="submit",
        by=by,
        run_id=run_id,
        update_fields=["max_line_discount_pct", "requires_admin_approval"],
    )
    review_submit(artifact=contract, by=by, run_id=run_id)
    return contract


def contract_on_approved(artifact: Contract, decision: ReviewDecision) -> None:
    """Registered ``on_approved``: the review gate approved the contract (inside the
    decision's transaction, with the contract row locked) → pending_review → approved."""
    _policy_check(contract=artifact, policy=pricing_policy_ensure())
    if artifact.requires_admin_approval and (
        decision.by_user is None or decision.by_user.role != Role.ADMIN
    ):
        raise Conflict("this contract's discounts need an admin's approval")
    transition_apply(
        instance=artifact,
        transition="confirm_approval",
        by=decision.by_user,
        run_id=decision.by_run_id,
        reason=decision.reason,
        update_fields=["max_line_discount_pct", "requires_admin_approval"],
    )


@transaction.atomic
def contract_review_decide(
    *,
    contract: Contract,
    decision: str,
    by: User,
    reason: str = "",
    edits: dict[str, Any] | None = None,
) -> DecisionResult:
    """Decide a contract's review and keep its business status in step: approval moves it
    to approved (``contract_on_approved``); rejection or a regeneration request voids
    it, since a revision is reviewed once and a change is a new revision."""
    result = review_decide(
        entity_type=Contract.REVIEW_ENTITY_TYPE,
        entity_id=contract.pk,
        decision=decision,
        by=by,
        reason=reason,
        edits=edits,
    )
    if result.artifact.review_status != ReviewStatus.APPROVED:
        contract_on_rejected(result.artifact, result.decision)
    return result


def contract_on_rejected(artifact: Contract, decision: ReviewDecision) -> None:
    """Rejection or a regeneration request voids the revision under review (inside the
    decision's transaction). Idempotent: a revision already voided is left alone, so it
    is safe whether the review gate's hook or ``contract_review_decide`` runs it."""
    if artifact.status != ContractStatus.PENDING_REVIEW:
        return
    transition_apply(
        instance=artifact,
        transition="void",
        by=decision.by_user,
        run_id=decision.by_run_id,
        reason=f"review {artifact.review_status}: {decision.reason}",
        update_fields=["closed_at"],
    )


@transaction.atomic
def contract_send(
    *, contract: Contract, by: User | None = None, run_id: uuid.UUID | str | None = None
) -> Contract:
    """approved → sent; the approved artifact is marked applied."""
    contract = contract_lock(pk=contract.pk)
    if contract.status == ContractStatus.APPROVED and contract.is_past_validity():
        raise Conflict(f"the contract expired on {contract.valid_until}; revise it")
    transition_apply(
        instance=contract, transition="send", by=by, run_id=run_id, update_fields=["sent_at"]
    )
    review_mark_applied(artifact=contract, by=by, run_id=run_id, reason="contract sent")
    contract.refresh_from_db()
    return contract


@transaction.atomic
def contract_sign(
    *,
    contract: Contract,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    reason: str = "",
) -> Contract:
    """sent → signed. From here on the contract never changes."""
    contract = contract_lock(pk=contract.pk)
    return transition_apply(
        instance=contract,
        transition="sign",
        by=by,
        run_id=run_id,
        reason=reason,
        update_fields=["signed_at"],
    )


def _close(
    *,
    contract: Contract,
    transition: str,
    by: User | None,
    run_id: uuid.UUID | str | None,
    reason: str,
    reason_required: bool,
) -> Contract:
    reason = (reason or "").strip()
    if reason_required and not reason:
        raise InvalidInput(f"a reason is required to {transition} a contract")
    contract = contract_lock(pk=contract.pk)
    return transition_apply(
        instance=contract,
        transition=transition,
        by=by,
        run_id=run_id,
        reason=reason,
        update_fields=["closed_at"],
    )


@transaction.atomic
def contract_decline(
    *,
    contract: Contract,
    reason: str,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
) -> Contract:
    """sent → declined (the customer said no; the reason is required)."""
    return _close(
        contract=contract,
        transition="decline",
        by=by,
        run_id=run_id,
        reason=reason,
        reason_required=True,
    )


@transaction.atomic
def contract_expire(
    *,
    contract: Contract,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
    reason: str = "valid_until passed",
) -> Contract:
    """sent → expired, only once ``valid_until`` has passed."""
    return _close(
        contract=contract,
        transition="expire",
        by=by,
        run_id=run_id,
        reason=reason,
        reason_required=False,
    )


@transaction.atomic
def contract_void(
    *,
    contract: Contract,
    reason: str,
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
) -> Contract:
    """draft | pending_review | approved | sent → void (the reason is required)."""
    return _close(
        contract=contract,
        transition="void",
        by=by,
        run_id=run_id,
        reason=reason,
        reason_required=True,
    )


def contracts_expire_due(*, run_id: uuid.UUID | str | None = None) -> list[Contract]:
    """Expire every sent contract whose ``valid_until`` has passed, each in its own
    transaction. Safe to run repeatedly (a schedule's job)."""
    due = Contract.objects.filter(
        status=ContractStatus.SENT, valid_until__lt=timezone.localdate()
    ).values_list("pk", flat=True)
    expired = []
    for pk in list(due):
        with transaction.atomic():
            contract = contract_lock(pk=pk)
            if contract.status == ContractStatus.SENT and contract.is_past_validity():
                expired.append(
                    transition_apply(
                        instance=contract,
                        transition="expire",
                        run_id=run_id,
                        reason="valid_until passed",
                        update_fields=["closed_at"],
                    )
                )
    return expired
