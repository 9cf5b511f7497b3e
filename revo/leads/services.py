"""Writes to leads, outreach drafts and replies. Each service validates, changes and
audits in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.audit.models import StateTransition
from revo.audit.services import record_creation, transition_apply
from revo.core.exceptions import Conflict, InvalidInput
from revo.leads.lock_objects import lead_lock, reply_lock
from revo.leads.models import (
    LEAD_TRANSITIONS,
    LawfulBasis,
    Lead,
    LeadStatus,
    OutreachMessage,
    Reply,
    ReplyClassification,
)
from revo.leads.validation import LEAD_DATA_FIELDS, clean_lead_data, email_error, format_errors
from revo.reviews.models import ReviewStatus
from revo.reviews.services import review_original_values, review_submit_within

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
) -> StateTransition:
    return StateTransition.objects.create(
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
    return _score_write(lead_lock(lead.pk), score, cleaned, by, run_id)


def _score_clean(score: Any, reasons: Iterable[str]) -> tuple[int, list[str]]:
    if isinstance(score, bool) or not isinstance(score, int | Decimal) or score != int(score):
        raise InvalidInput(f"score must be a whole number, got {score!r}")
    score = int(score)
    if not 0 <= score <= 100:
        raise InvalidInput(f"score must be between 0 and 100, got {score}")
    return score, [str(r).strip() for r in reasons if str(r).strip()]


def _score_write(
    locked: Lead, score: int, reasons: list[str], by: User | None, run_id: RunId
) -> Lead:
    previous = locked.score
    locked.score = score
    locked.score_reasons = reasons
    locked.scored_at = timezone.now()
    locked.save(update_fields=["score", "score_reasons", "scored_at", "updated_at"])
    _audit_row(
        lead=locked,
        field="score",
        transition="score_set",
        from_state="" if previous is None else str(previous),
        to_state=str(score),
        by=by,
        run_id=run_id,
        data={"reasons": reasons},
    )
    return locked


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


# -- outreach ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutreachDraft:
    """The content of an outreach draft and where it came from."""

    subject: str
    body: str
    sequence_step: int = 1
    agent: str = ""
    confidence: Decimal | None = None
    flagged_reasons: tuple[str, ...] = ()
    llm_backend: str = ""
    llm_model: str = ""

    def cleaned(self) -> OutreachDraft:
        """The draft with its text trimmed; ``InvalidInput`` naming every bad field."""
        subject, body = (self.subject or "").strip(), (self.body or "").strip()
        step = self.sequence_step
        problems: dict[str, str] = {}
        if not subject:
            problems["subject"] = "subject is required"
        elif len(subject) > OutreachMessage._meta.get_field("subject").max_length:
            problems["subject"] = "subject is longer than 200 characters"
        if not body:
            problems["body"] = "body is required"
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            problems["sequence_step"] = "sequence step must be a whole number from 1"
        if problems:
            raise InvalidInput(format_errors(problems), details=problems)
        return replace(
            self,
            subject=subject,
            body=body,
            flagged_reasons=tuple(str(r) for r in self.flagged_reasons),
        )


@transaction.atomic
def outreach_draft_create(
    *,
    lead: Lead,
    subject: str,
    body: str,
    sequence_step: int = 1,
    by: User | None = None,
    run_id: RunId = None,
    agent: str = "",
    confidence: Decimal | None = None,
    flagged_reasons: Iterable[str] = (),
    llm_backend: str = "",
    llm_model: str = "",
) -> OutreachMessage:
    """Draft an email to the lead and put it in the review queue. The recipient is the
    lead's email now; a lead we may no longer write to, or a step that already has a live
    draft, is refused."""
    draft = OutreachDraft(
        subject=subject,
        body=body,
        sequence_step=sequence_step,
        agent=agent,
        confidence=confidence,
        flagged_reasons=tuple(flagged_reasons),
        llm_backend=llm_backend,
        llm_model=llm_model,
    ).cleaned()
    locked = lead_lock(lead.pk)
    if locked.status in NO_OUTREACH_STATUSES:
        raise Conflict(f"lead {locked.email} is {locked.status}; no outreach may be drafted")
    if _live_step_exists(locked, draft.sequence_step):
        raise Conflict(f"step {draft.sequence_step} for {locked.email} already has a draft")
    return _draft_insert(locked, draft, by=by, run_id=run_id)


def _live_step_exists(locked: Lead, sequence_step: int) -> bool:
    return (
        OutreachMessage.objects.filter(lead=locked, sequence_step=sequence_step)
        .exclude(review_status__in=[ReviewStatus.REJECTED, ReviewStatus.REGENERATE_REQUESTED])
        .exists()
    )


def _draft_insert(
    locked: Lead, draft: OutreachDraft, *, by: User | None, run_id: RunId
) -> OutreachMessage:
    message = OutreachMessage(
        lead=locked,
        sequence_step=draft.sequence_step,
        subject=draft.subject,
        body=draft.body,
        to_email=locked.email,
        created_by=by,
        run_id=run_id,
        agent=draft.agent,
        confidence=draft.confidence,
        flagged_reasons=list(draft.flagged_reasons),
        llm_backend=draft.llm_backend,
        llm_model=draft.llm_model,
    )
    message.ai_original = review_original_values(artifact=message)
    message.save(force_insert=True)
    review_submit_within(artifact=message, by=by, run_id=run_id)
    return message


@dataclass(frozen=True)
class FirstTouchOutcome:
    """What ``lead_first_touch_record`` wrote: the score (or not) and the draft (or not),
    and why not when the lead moved on meanwhile."""

    lead: Lead
    scored: bool
    message: OutreachMessage | None
    skipped: str = ""


@transaction.atomic
def lead_first_touch_record(
    *,
    lead: Lead,
    score: int | None = None,
    reasons: Iterable[str] = (),
    draft: OutreachDraft | None = None,
    by: User | None = None,
    run_id: RunId = None,
) -> FirstTouchOutcome:
    """A new lead's score and first-touch draft, written together under the lead's lock
    (one transaction): the score only while the lead is unscored, the draft (step 1) only
    while the lead is new and has no live first touch. Whatever another writer did
    meanwhile wins; the outcome says what was written."""
    cleaned_score = _score_clean(score, reasons) if score is not None else None
    cleaned_draft = draft.cleaned() if draft is not None else None
    if cleaned_draft is not None and cleaned_draft.sequence_step != 1:
        raise InvalidInput("a first touch is sequence step 1")
    locked = lead_lock(lead.pk)
    # The score describes the lead's fit: kept even when the lead moved on meanwhile.
    scored = cleaned_score is not None and locked.scored_at is None
    if scored:
        _score_write(locked, *cleaned_score, by, run_id)
    if locked.status != LeadStatus.NEW:
        return FirstTouchOutcome(locked, scored, None, f"lead is {locked.status}")
    if cleaned_draft is None:
        return FirstTouchOutcome(locked, scored, None)
    if _live_step_exists(locked, 1):
        return FirstTouchOutcome(locked, scored, None, "first touch drafted meanwhile")
    message = _draft_insert(locked, cleaned_draft, by=by, run_id=run_id)
    return FirstTouchOutcome(locked, scored, message)


# -- replies ----------------------------------------------------------------------------------


@transaction.atomic
def reply_record(
    *,
    lead: Lead,
    from_email: str,
    subject: str = "",
    body: str = "",
    received_at: datetime | None = None,
    message_id: str = "",
) -> Reply:
    """Record a reply from a lead. The same ``message_id`` recorded twice returns the first
    reply (mailbox polling may see a message again)."""
    from_email = (from_email or "").strip().lower()
    problem = email_error(from_email)
    if problem:
        raise InvalidInput(f"from_email: {problem}")
    message_id = (message_id or "").strip()
    if message_id:
        existing = Reply.objects.filter(message_id=message_id).first()
        if existing is not None:
            return existing
    return Reply.objects.create(
        lead=lead,
        from_email=from_email,
        subject=(subject or "").strip()[:300],
        body=body or "",
        received_at=received_at or timezone.now(),
        message_id=message_id,
    )


@transaction.atomic
def reply_classify(
    *,
    reply: Reply,
    classification: str,
    not_now_until: date | None = None,
) -> Reply:
    """Record what a reply means. Only records it: moving the lead is
    ``lead_apply_reply_classification``'s job."""
    _classification_check(classification, not_now_until)
    locked = reply_lock(reply.pk)
    locked.classification = classification
    locked.not_now_until = not_now_until
    locked.classified_at = timezone.now()
    locked.save(update_fields=["classification", "not_now_until", "classified_at", "updated_at"])
    return locked


@transaction.atomic
def reply_mark_handled(*, reply: Reply) -> Reply:
    locked = reply_lock(reply.pk)
    if not locked.handled:
        locked.handled = True
        locked.handled_at = timezone.now()
        locked.save(update_fields=["handled", "handled_at", "updated_at"])
    return locked


def _classification_check(classification: str, not_now_until: date | None) -> None:
    if classification not in ReplyClassification.values:
        raise InvalidInput(
            f"unknown reply classification {classification!r}",
            details={"allowed": list(ReplyClassification.values)},
        )
    if not_now_until is not None and classification != ReplyClassification.NOT_NOW:
        raise InvalidInput("not_now_until only goes with the not_now classification")


@dataclass(frozen=True)
class ReplyHandled:
    """What ``reply_handle`` did: the reply (classified and handled) and the lead's move."""

    reply: Reply
    lead: Lead
    transition: str | None


@transaction.atomic
def reply_handle(
    *,
    reply: Reply,
    classification: str,
    not_now_until: date | None = None,
    by: User | None = None,
    run_id: RunId = None,
    reason: str = "",
) -> ReplyHandled | None:
    """Handle a reply in one transaction: record its classification, move the lead as it
    implies (``lead_apply_reply_classification``), pause the lead's follow-ups until
    ``not_now_until`` for a "not now", and mark the reply handled. ``None`` (nothing
    written) when the reply was handled meanwhile."""
    _classification_check(classification, not_now_until)
    locked = reply_lock(reply.pk)
    if locked.handled:
        return None
    now = timezone.now()
    locked.classification = classification
    locked.not_now_until = not_now_until
    locked.classified_at = now
    locked.handled = True
    locked.handled_at = now
    locked.save(
        update_fields=[
            "classification",
            "not_now_until",
            "classified_at",
            "handled",
            "handled_at",
            "updated_at",
        ]
    )
    outcome = _reply_move_lead(
        lead_lock(locked.lead_id),
        classification,
        by=by,
        run_id=run_id,
        reason=reason or f"reply {locked.pk} classified {classification}",
    )
    lead = outcome.lead
    if not_now_until is not None:
        lead.next_follow_up_at = datetime.combine(not_now_until, time.min, tzinfo=UTC)
        lead.save(update_fields=["next_follow_up_at", "updated_at"])
    return ReplyHandled(reply=locked, lead=lead, transition=outcome.transition)
