"""Outreach drafts: one drafted by hand or by an agent, and a new lead's score and first
touch written together. Each service validates, changes and audits in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import transaction

from revo.accounts.models import User
from revo.audit.models import StateTransition
from revo.core.exceptions import Conflict, InvalidInput
from revo.leads.lock_objects import lead_lock
from revo.leads.models import (
    Lead,
    LeadStatus,
    OutreachMessage,
)
from revo.leads.services.leads import (
    NO_OUTREACH_STATUSES,
    RunId,
    _score_clean,
    _score_write,
)
from revo.leads.validation import format_errors
from revo.reviews.models import ReviewStatus
from revo.reviews.services import review_original_values, review_submit_within


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
    locked: Lead,
    draft: OutreachDraft,
    *,
    by: User | None,
    run_id: RunId,
    also_audit: list[StateTransition] | tuple = (),
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
    review_submit_within(artifact=message, by=by, run_id=run_id, also_audit=also_audit)
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
    score_history = (
        _score_write(locked, *cleaned_score, by, run_id, save_audit=False) if scored else None
    )
    skipped = ""
    if locked.status != LeadStatus.NEW:
        skipped = f"lead is {locked.status}"
    elif cleaned_draft is not None and _live_step_exists(locked, 1):
        skipped = "first touch drafted meanwhile"
    if skipped or cleaned_draft is None:
        if score_history is not None:
            score_history.save(force_insert=True)
        return FirstTouchOutcome(locked, scored, None, skipped)
    # The draft's first history row and the score's go in together (one INSERT).
    also = [score_history] if score_history is not None else []
    message = _draft_insert(locked, cleaned_draft, by=by, run_id=run_id, also_audit=also)
    return FirstTouchOutcome(locked, scored, message)
