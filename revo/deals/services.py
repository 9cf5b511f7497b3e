"""Writes of the deals app: open a deal from a qualified lead, edit it, move it through
its stages, and the proposal artifact that advances it once a reviewer approves."""

from __future__ import annotations

import datetime
import logging
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.audit.services import record_creation, transition_apply
from revo.core.exceptions import Conflict, IllegalTransition, InvalidInput
from revo.deals.history import change_record
from revo.deals.lock_objects import deal_lock, lead_lock_for_conversion
from revo.deals.models import (
    BANT_DIMENSIONS,
    DEFAULT_PROBABILITY,
    OPEN_DEAL_STAGES,
    STAGE_TRANSITIONS,
    Deal,
    DealProposal,
    DealStage,
    QualificationLevel,
)
from revo.leads.models import Lead, LeadStatus
from revo.leads.services import lead_transition
from revo.reviews.models import ReviewDecision
from revo.reviews.services import review_mark_applied, review_submit

logger = logging.getLogger(__name__)

RunId = uuid.UUID | str | None
_UNSET: Any = object()
MAX_AMOUNT = Decimal("999999999999.99")


def _amount(value: Any, *, name: str = "amount") -> Decimal:
    if isinstance(value, float):
        raise InvalidInput(f"{name} must be a decimal, not a float")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(f"{name} is not a number: {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidInput(f"{name} must be between 0 and {MAX_AMOUNT}")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(f"{name} has more than 2 decimal places")
    return amount


def _probability(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(f"probability must be a whole number from 0 to 100, not {value!r}")
    return value


def _currency(value: str | None) -> str:
    if not value:
        value = getattr(getattr(connection, "tenant", None), "default_currency", "") or "EUR"
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidInput(f"{value!r} is not an ISO 4217 currency code (e.g. EUR)")
    return code


def _clean_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Validate the editable deal fields present in ``values``."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in values.items():
        try:
            if name == "name":
                value = (value or "").strip()
                if not value or len(value) > 200:
                    raise InvalidInput("name is required (at most 200 characters)")
            elif name == "amount":
                value = _amount(value)
            elif name == "currency":
                value = _currency(value)
            elif name == "probability":
                value = _probability(value)
            elif name == "expected_close_date":
                if value is not None and (
                    not isinstance(value, datetime.date) or isinstance(value, datetime.datetime)
                ):
                    raise InvalidInput("expected_close_date must be a date")
            elif name == "next_step":
                value = (value or "").strip()
                if len(value) > 300:
                    raise InvalidInput("next_step is at most 300 characters")
            elif name == "owner":
                if value is not None and not isinstance(value, User):
                    raise InvalidInput("owner must be a user")
            elif name in BANT_DIMENSIONS:
                if value not in QualificationLevel.values:
                    raise InvalidInput(
                        f"{name} must be one of {', '.join(QualificationLevel.values)}"
                    )
            elif name.endswith("_rationale") and name[: -len("_rationale")] in BANT_DIMENSIONS:
                value = (value or "").strip()
            else:
                raise InvalidInput(f"{name} cannot be set here")
        except InvalidInput as exc:
            errors[name] = exc.message
        else:
            cleaned[name] = value
    if errors:
        raise InvalidInput("; ".join(f"{k}: {v}" for k, v in errors.items()), details=errors)
    return cleaned


@transaction.atomic
def deal_create_from_lead(
    *,
    lead: Lead,
    name: str = "",
    amount: Decimal | str = Decimal("0.00"),
    currency: str | None = None,
    owner: User | None = None,
    expected_close_date: datetime.date | None = None,
    next_step: str = "",
    qualification: dict[str, str] | None = None,
    by: User | None = None,
    run_id: RunId = None,
) -> Deal:
    """Open a deal for a qualified lead and convert the lead, in one transaction: either
    both happen or neither. ``qualification`` holds BANT levels and rationales
    (``budget``, ``budget_rationale``, …)."""
    locked_lead = lead_lock_for_conversion(pk=lead.pk)
    if locked_lead.status != LeadStatus.QUALIFIED:
        raise IllegalTransition(
            f"a deal is opened from a qualified lead; this lead is {locked_lead.status}",
            allowed=[],
            current=str(locked_lead.status),
        )
    fields = _clean_fields(
        {
            "name": name or f"{locked_lead.company or locked_lead.email}",
            "amount": amount,
            "currency": currency,
            "owner": owner if owner is not None else locked_lead.owner,
            "expected_close_date": expected_close_date,
            "next_step": next_step,
            **(qualification or {}),
        }
    )
    deal = Deal.objects.create(
        lead=locked_lead,
        probability=DEFAULT_PROBABILITY[DealStage.QUALIFICATION],
        **fields,
    )
    record_creation(instance=deal, field="stage", by=by, run_id=run_id)
    lead_transition(
        lead=locked_lead,
        transition="convert",
        by=by,
        run_id=run_id,
        reason=f"deal #{deal.pk} opened",
    )
    logger.info(
        "deal created", extra={"event": "deal.created", "deal": deal.pk, "lead": locked_lead.pk}
    )
    return deal


@transaction.atomic
def deal_update(
    *,
    deal: Deal,
    by: User | None = None,
    run_id: RunId = None,
    reason: str = "",
    **changes: Any,
) -> Deal:
    """Edit an open deal's fields (name, amount, currency, probability,
    expected_close_date, next_step, owner, BANT levels and rationales). The stage changes
    only through ``deal_advance`` / ``deal_mark_won`` / ``deal_mark_lost``."""
    cleaned = _clean_fields(changes)
    locked = deal_lock(pk=deal.pk)
    if locked.stage not in OPEN_DEAL_STAGES:
        raise Conflict(f"deal {locked.pk} is {locked.stage}; a closed deal does not change")
    if (
        "currency" in cleaned
        and cleaned["currency"] != locked.currency
        and (locked.contracts.exists() or locked.proposals.exists())
    ):
        raise Conflict("the currency is fixed once a proposal or contract exists")
    diff = {
        name: (getattr(locked, name), value)
        for name, value in cleaned.items()
        if getattr(locked, name) != value
    }
    if not diff:
        return locked
    for name, (_, value) in diff.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*diff, "updated_at"])
    change_record(instance=locked, field="stage", changes=diff, by=by, run_id=run_id, reason=reason)
    return locked


def _move(
    *,
    deal: Deal,
    to: str,
    by: User | None,
    run_id: RunId,
    reason: str,
    probability: int | None,
    extra_fields: tuple[str, ...] = (),
    locked: Deal | None = None,
) -> Deal:
    locked = locked or deal_lock(pk=deal.pk)
    locked.probability = (
        DEFAULT_PROBABILITY[to] if probability is None else _probability(probability)
    )
    return transition_apply(
        instance=locked,
        transition=STAGE_TRANSITIONS[to],
        field="stage",
        by=by,
        run_id=run_id,
        reason=reason,
        update_fields=["probability", "stage_changed_at", *extra_fields],
    )


@transaction.atomic
def deal_advance(
    *,
    deal: Deal,
    to: str,
    by: User | None = None,
    run_id: RunId = None,
    reason: str = "",
    probability: int | None = None,
) -> Deal:
    """Move a deal to stage ``to`` (qualification → proposal → negotiation → won | lost).
    The probability becomes the stage's default unless given. Entering ``lost`` needs a
    reason (see ``deal_mark_lost``). Illegal moves raise ``IllegalTransition``."""
    try:
        target = DealStage(to)
    except ValueError:
        raise InvalidInput(f"unknown stage {to!r}", details={"allowed": DealStage.values}) from None
    if target == DealStage.LOST:
        return deal_mark_lost(deal=deal, reason=reason, by=by, run_id=run_id)
    if target == DealStage.WON:
        return deal_mark_won(deal=deal, by=by, run_id=run_id, reason=reason)
    if target == DealStage.QUALIFICATION:
        locked = deal_lock(pk=deal.pk)
        raise IllegalTransition(
            f"a deal never goes back to qualification (it is {locked.stage})",
            allowed=[],
            current=str(locked.stage),
        )
    return _move(deal=deal, to=target, by=by, run_id=run_id, reason=reason, probability=probability)


@transaction.atomic
def deal_mark_won(
    *, deal: Deal, by: User | None = None, run_id: RunId = None, reason: str = ""
) -> Deal:
    """negotiation → won (probability 100)."""
    return _move(
        deal=deal,
        to=DealStage.WON,
        by=by,
        run_id=run_id,
        reason=reason,
        probability=None,
        extra_fields=("won_at",),
    )


@transaction.atomic
def deal_mark_lost(
    *, deal: Deal, reason: str, by: User | None = None, run_id: RunId = None
) -> Deal:
    """Any open stage → lost (probability 0). The reason is required and kept on the deal."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a lost reason is required to mark a deal lost")
    locked = deal_lock(pk=deal.pk)
    locked.lost_reason = reason
    try:
        return _move(
            deal=locked,
            to=DealStage.LOST,
            by=by,
            run_id=run_id,
            reason=reason,
            probability=None,
            extra_fields=("lost_reason", "lost_at"),
            locked=locked,
        )
    except IllegalTransition:
        locked.lost_reason = ""
        raise


# --------------------------------------------------------------------------- proposals


@transaction.atomic
def deal_proposal_create(
    *,
    deal: Deal,
    summary: str,
    proposed_amount: Decimal | str,
    next_step: str = "",
    qualification_notes: str = "",
    by: User | None = None,
    run_id: RunId = None,
    agent: str = "",
    confidence: Decimal | None = None,
    flagged_reasons: list[str] | None = None,
    llm_backend: str = "",
    llm_model: str = "",
) -> DealProposal:
    """A proposal for an open deal, created pending review and put in the queue."""
    summary = (summary or "").strip()
    if not summary:
        raise InvalidInput("a proposal needs a summary")
    next_step = (next_step or "").strip()
    if len(next_step) > 300:
        raise InvalidInput("next_step is at most 300 characters")
    amount = _amount(proposed_amount, name="proposed_amount")
    if confidence is not None and not Decimal("0") <= Decimal(str(confidence)) <= Decimal("1"):
        raise InvalidInput("confidence must be between 0 and 1")
    locked = deal_lock(pk=deal.pk)
    if locked.stage not in OPEN_DEAL_STAGES:
        raise Conflict(f"deal {locked.pk} is {locked.stage}; proposals are for open deals")
    proposal = DealProposal.objects.create(
        deal=locked,
        summary=summary,
        proposed_amount=amount,
        currency=locked.currency,
        next_step=next_step,
        qualification_notes=(qualification_notes or "").strip(),
        created_by=by,
        run_id=run_id,
        agent=agent,
        confidence=confidence,
        flagged_reasons=list(flagged_reasons or []),
        llm_backend=llm_backend,
        llm_model=llm_model,
    )
    review_submit(artifact=proposal, by=by, run_id=run_id)
    return proposal


def deal_proposal_on_approved(artifact: DealProposal, decision: ReviewDecision) -> None:
    """Registered ``on_approved`` (inside the decision's transaction): apply the approved
    proposal to its deal (amount, next step; qualification → proposal) through the deal
    services, then mark the proposal applied. A deal closed meanwhile refuses, and the
    approval rolls back with it."""
    by, run_id = decision.by_user, decision.by_run_id
    reason = f"proposal #{artifact.pk} approved"
    deal = deal_lock(pk=artifact.deal_id)
    if deal.stage not in OPEN_DEAL_STAGES:
        raise Conflict(f"deal {deal.pk} is {deal.stage}; the proposal can no longer apply")
    changes: dict[str, Any] = {"amount": artifact.proposed_amount}
    if artifact.next_step:
        changes["next_step"] = artifact.next_step
    deal = deal_update(deal=deal, by=by, run_id=run_id, reason=reason, **changes)
    if deal.stage == DealStage.QUALIFICATION:
        deal_advance(deal=deal, to=DealStage.PROPOSAL, by=by, run_id=run_id, reason=reason)
    review_mark_applied(artifact=artifact, by=by, run_id=run_id, reason="applied to the deal")


@transaction.atomic
def deal_delete(*, deal: Deal, reason: str, by: User | None = None, run_id: RunId = None) -> Deal:
    """Soft-delete a deal created by mistake (hidden from every list, kept for the audit
    trail). A deal with a contract is closed as lost instead, never deleted."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required to delete a deal")
    locked = deal_lock(pk=deal.pk)
    if locked.contracts.exists():
        raise Conflict(f"deal {locked.pk} has a contract; mark it lost instead")
    deleted_at = timezone.now()
    Deal.objects.filter(pk=locked.pk).update(deleted_at=deleted_at, updated_at=deleted_at)
    change_record(
        instance=locked,
        field="stage",
        transition="delete",
        changes={"deleted_at": (None, deleted_at)},
        by=by,
        run_id=run_id,
        reason=reason,
    )
    locked.deleted_at = deleted_at
    return locked
