"""Writes to leads: create, update, score, move (including as a classified reply implies),
soft-delete. Each service validates, changes and audits in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.audit.models import StateTransition
from revo.audit.services import record_creation, transition_apply
from revo.core.exceptions import Conflict, InvalidInput
from revo.leads.lock_objects import lead_lock
from revo.leads.models import (
    LEAD_TRANSITIONS,
    LawfulBasis,
    Lead,
    LeadStatus,
    ReplyClassification,
)
from revo.leads.validation import LEAD_DATA_FIELDS, clean_lead_data, format_errors

RunId = uuid.UUID | str | None

#: Fields written when a transition runs (its method stamps them).
_TRANSITION_FIELDS = ["status_changed_at", "last_contacted_at", "next_follow_up_at"]

#: Statuses in which nobody may be written to any more.
NO_OUTREACH_STATUSES = frozenset(
    {LeadStatus.UNSUBSCRIBED, LeadStatus.BOUNCED, LeadStatus.DISQUALIFIED, LeadStatus.CONVERTED}
)

#: Reply classification → the lead transition it implies (``None``: the lead stays put).
REPLY_TRANSITIONS: dict[str, str | None] = {
    ReplyClassification.INTERESTED: "engage",
    ReplyClassification.QUESTION: "engage",
    ReplyClassification.OBJECTION: "engage",
    ReplyClassification.NOT_NOW: None,
    ReplyClassification.NOT_INTERESTED: "disqualify",
    ReplyClassification.UNSUBSCRIBE: "unsubscribe",
    ReplyClassification.OUT_OF_OFFICE: None,
    ReplyClassification.BOUNCE: "bounce",
}


def _audit_row(
    *,
    lead: Lead,
    field: str,
    transition: str,
    from_state: str,
    to_state: str,
    by: User | None,
    run_id: RunId,
    reason: str = "",
    data: dict[str, Any] | None = None,
    save: bool = True,
) -> StateTransition:
    row = StateTransition(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=str(lead.pk),
        field=field,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        by_user=by if getattr(by, "pk", None) else None,
        by_run_id=run_id,
        reason=reason,
        data=data or {},
    )
    if save:
        row.save(force_insert=True)
    return row


# -- leads ------------------------------------------------------------------------------------


@transaction.atomic
def lead_create(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    company: str = "",
    title: str = "",
    industry: str = "",
    company_size: int | str | None = None,
    website: str = "",
    phone: str = "",
    country: str = "",
    source: str = "",
    notes: str = "",
    lawful_basis: str = LawfulBasis.LEGITIMATE_INTEREST,
    consent_note: str = "",
    owner: User | None = None,
    next_follow_up_at: datetime | None = None,
    by: User | None = None,
    run_id: RunId = None,
) -> Lead:
    """Create a lead in status ``new``. The email and industry are stored lowercased, a
    company size such as ``"1.2k"`` as a number; a second lead with the same email (any
    case) is refused with ``Conflict``."""
    cleaned, errors = clean_lead_data(
        {
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "company": company,
            "title": title,
            "industry": industry,
            "company_size": company_size,
            "website": website,
            "phone": phone,
            "country": country,
            "source": source,
            "notes": notes,
            "lawful_basis": lawful_basis,
            "consent_note": consent_note,
        }
    )
    if errors:
        raise InvalidInput(format_errors(errors), details=errors)
    if Lead.objects.filter(email=cleaned["email"]).exists():
        raise Conflict(f"a lead with email {cleaned['email']} already exists")
    lead = Lead(**cleaned, owner=owner, next_follow_up_at=next_follow_up_at)
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError:
        raise Conflict(f"a lead with email {cleaned['email']} already exists") from None
    record_creation(instance=lead, by=by, run_id=run_id)
    return lead


_UNSET: Any = object()


@transaction.atomic
def lead_update(
    *,
    lead: Lead,
    data: dict[str, Any] | None = None,
    owner: User | None = _UNSET,
    next_follow_up_at: datetime | None = _UNSET,
    by: User | None = None,
) -> Lead:
    """Change a lead's plain data fields (``data`` keys from ``LEAD_DATA_FIELDS``), its
    owner or its next follow-up. Status and score have their own services and are refused
    here."""
    data = dict(data or {})
    forbidden = sorted(set(data) - set(LEAD_DATA_FIELDS))
    if forbidden:
        raise InvalidInput(
            f"cannot set {', '.join(forbidden)} with lead_update",
            details={"fields": forbidden, "allowed": list(LEAD_DATA_FIELDS)},
        )
    cleaned, errors = clean_lead_data(data)
    if errors:
        raise InvalidInput(format_errors(errors), details=errors)
    locked = lead_lock(lead.pk)
    if (
        "email" in cleaned
        and cleaned["email"] != locked.email
        and Lead.objects.filter(email=cleaned["email"]).exclude(pk=locked.pk).exists()
    ):
        raise Conflict(f"a lead with email {cleaned['email']} already exists")
    changed: list[str] = []
    for name, value in cleaned.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    if owner is not _UNSET and locked.owner_id != (owner.pk if owner else None):
        locked.owner = owner
        changed.append("owner")
    if next_follow_up_at is not _UNSET and locked.next_follow_up_at != next_follow_up_at:
        locked.next_follow_up_at = next_follow_up_at
        changed.append("next_follow_up_at")
    if changed:
        try:
            with transaction.atomic():
                locked.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            raise Conflict(f"a lead with email {locked.email} already exists") from None
    return locked


@transaction.atomic
def lead_score_set(
    *,
    lead: Lead,
    score: int,
    reasons: Iterable[str] = (),
    by: User | None = None,
    run_id: RunId = None,
) -> Lead:
    """Set the lead's score (0–100) and the reasons behind it; the change is audited."""
    score, cleaned = _score_clean(score, reasons)
    locked = lead_lock(lead.pk)
    _score_write(locked, score, cleaned, by, run_id)
    return locked


def _score_clean(score: Any, reasons: Iterable[str]) -> tuple[int, list[str]]:
    if isinstance(score, bool) or not isinstance(score, int | Decimal) or score != int(score):
        raise InvalidInput(f"score must be a whole number, got {score!r}")
    score = int(score)
    if not 0 <= score <= 100:
        raise InvalidInput(f"score must be between 0 and 100, got {score}")
    return score, [str(r).strip() for r in reasons if str(r).strip()]


def _score_write(
    locked: Lead,
    score: int,
    reasons: list[str],
    by: User | None,
    run_id: RunId,
    *,
    save_audit: bool = True,
) -> StateTransition:
    """Write the score to the locked lead; its history row, saved unless the caller writes
    it together with others (``save_audit=False``, same transaction)."""
    previous = locked.score
    locked.score = score
    locked.score_reasons = reasons
    locked.scored_at = timezone.now()
    locked.save(update_fields=["score", "score_reasons", "scored_at", "updated_at"])
    return _audit_row(
        lead=locked,
        field="score",
        transition="score_set",
        from_state="" if previous is None else str(previous),
        to_state=str(score),
        by=by,
        run_id=run_id,
        data={"reasons": reasons},
        save=save_audit,
    )


@transaction.atomic
def lead_transition(
    *,
    lead: Lead,
    transition: str,
    by: User | None = None,
    run_id: RunId = None,
    reason: str = "",
) -> Lead:
    """Move a lead along its status machine (see ``Lead``); an illegal move raises
    ``IllegalTransition`` and changes nothing."""
    if transition not in LEAD_TRANSITIONS:
        raise InvalidInput(
            f"unknown lead transition {transition!r}",
            details={"allowed": sorted(LEAD_TRANSITIONS)},
        )
    locked = lead_lock(lead.pk)
    return transition_apply(
        instance=locked,
        transition=transition,
        by=by,
        run_id=run_id,
        reason=reason,
        update_fields=_TRANSITION_FIELDS,
    )


@transaction.atomic
def lead_record_contact(
    *,
    lead: Lead,
    at: datetime | None = None,
    by: User | None = None,
    run_id: RunId = None,
) -> Lead:
    """An email went out to the lead: a new lead becomes contacted; any lead gets its
    ``last_contacted_at`` stamped."""
    locked = lead_lock(lead.pk)
    if locked.status == LeadStatus.NEW:
        transition_apply(
            instance=locked,
            transition="contact",
            by=by,
            run_id=run_id,
            update_fields=_TRANSITION_FIELDS,
        )
    locked.last_contacted_at = at or timezone.now()
    locked.save(update_fields=["last_contacted_at", "updated_at"])
    return locked


@transaction.atomic
def lead_soft_delete(*, lead: Lead, by: User | None = None, reason: str = "") -> Lead:
    """Hide the lead (kept for the audit trail). Its email becomes free for a new lead."""
    locked = lead_lock(lead.pk)
    locked.deleted_at = timezone.now()
    locked.save(update_fields=["deleted_at", "updated_at"])
    _audit_row(
        lead=locked,
        field="deleted",
        transition="soft_delete",
        from_state="no",
        to_state="yes",
        by=by,
        run_id=None,
        reason=reason,
    )
    return locked


@dataclass(frozen=True)
class ReplyOutcome:
    lead: Lead
    transition: str | None  # the transition applied, or None if the lead stayed put


@transaction.atomic
def lead_apply_reply_classification(
    *,
    lead: Lead,
    classification: str,
    by: User | None = None,
    run_id: RunId = None,
    reason: str = "",
) -> ReplyOutcome:
    """Move the lead as a classified reply implies: interested, question and objection →
    engaged; not_interested → disqualified; unsubscribe → unsubscribed; bounce → bounced;
    not_now and out_of_office → no change. When the implied move is not legal from the
    lead's status (an engaged lead asking another question, an unsubscribed lead writing
    back), the lead stays where it is and ``transition`` is ``None``."""
    if classification not in REPLY_TRANSITIONS:
        raise InvalidInput(
            f"unknown reply classification {classification!r}",
            details={"allowed": list(ReplyClassification.values)},
        )
    return _reply_move_lead(lead_lock(lead.pk), classification, by=by, run_id=run_id, reason=reason)


def _reply_move_lead(
    locked: Lead, classification: str, *, by: User | None, run_id: RunId, reason: str
) -> ReplyOutcome:
    name = REPLY_TRANSITIONS[classification]
    if name is None or str(locked.status) not in LEAD_TRANSITIONS[name][0]:
        return ReplyOutcome(lead=locked, transition=None)
    transition_apply(
        instance=locked,
        transition=name,
        by=by,
        run_id=run_id,
        reason=reason or f"reply classified {classification}",
        data={"classification": classification},
        update_fields=_TRANSITION_FIELDS,
    )
    return ReplyOutcome(lead=locked, transition=name)
