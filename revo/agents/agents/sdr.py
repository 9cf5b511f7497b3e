"""The SDR agent: scores new leads and drafts their first touch, drafts follow-ups for
contacted leads that stayed silent, and classifies new replies (which moves the lead).

Items are ``lead:<id>`` (new lead), ``followup:<id>`` (contacted lead) and ``reply:<id>``.
``options["phase"]`` limits a run to ``new_leads`` or ``followups_and_replies``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q

from revo.agents import base
from revo.agents.agents.common import (
    agent_settings,
    answer_data,
    auto_approval_apply,
    finding_flags,
    injection_flags,
    llm_fields,
    sales_sender,
)
from revo.agents.models import AgentSettings
from revo.agents.scoring import combined_score, lead_facts, rubric_score
from revo.core.exceptions import InvalidInput, NotFound
from revo.leads.lock_objects import lead_lock
from revo.leads.models import Lead, LeadStatus, OutreachMessage, Reply, ReplyClassification
from revo.leads.services import (
    OutreachDraft,
    lead_first_touch_record,
    outreach_draft_create,
    reply_handle,
)
from revo.llm.generate import LLMResult, generate
from revo.mail.models import SuppressionReason
from revo.mail.services.compliance import suppression_add
from revo.reviews.models import ReviewStatus

PHASE_NEW = "new_leads"
PHASE_FOLLOW_UPS = "followups_and_replies"
DEAD_DRAFT = (ReviewStatus.REJECTED, ReviewStatus.REGENERATE_REQUESTED)
#: Drafts that are decided-to-send but not yet sent, or not decided: no new step meanwhile.
OPEN_DRAFT = (ReviewStatus.PENDING_REVIEW, ReviewStatus.APPROVED)


def _live_drafts(lead_ref: Any) -> Any:
    return OutreachMessage.objects.filter(lead=lead_ref).exclude(review_status__in=DEAD_DRAFT)


def _has_first_touch() -> Exists:
    return Exists(_live_drafts(OuterRef("pk")).filter(sequence_step=1))


def _stopping_replies(lead_ref: Any) -> Any:
    """Replies that end a follow-up sequence: any but an out-of-office notice or a "not
    now" (that one pauses the sequence until the lead's ``next_follow_up_at``)."""
    return Reply.objects.filter(lead=lead_ref).exclude(
        classification__in=[ReplyClassification.OUT_OF_OFFICE, ReplyClassification.NOT_NOW]
    )


def _lead_context(lead: Lead, facts: Any) -> dict[str, Any]:
    return {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "title": lead.title,
        "company": lead.company,
        "industry": facts.industry or "unknown industry",
        "company_size": facts.company_size if facts.company_size is not None else "unknown",
        "country": lead.country or "unknown country",
        "source": lead.source or "unknown",
    }


def _offering(settings: AgentSettings) -> dict[str, str]:
    return {
        "name": settings.offering_name,
        "pitch": settings.offering_pitch or settings.offering_name,
        "summary": settings.offering_summary or settings.offering_name,
    }


@dataclass(frozen=True)
class _FollowUp:
    lead: Lead
    step: int
    previous: OutreachMessage


@base.register
class SDRAgent(base.BaseAgent):
    name = "sdr"
    item_type = "sdr_item"

    def __init__(self) -> None:
        self._run_settings: tuple[base.AgentContext, AgentSettings] | None = None
        # Whether each selected new lead had a live first touch when it was selected.
        self._first_touch_at_selection: dict[int, bool] = {}

    def _settings(self, context: base.AgentContext) -> AgentSettings:
        """The tenant's agent settings, read once per run (an agent object serves one run)."""
        if self._run_settings is None or self._run_settings[0] is not context:
            self._run_settings = (context, agent_settings())
        return self._run_settings[1]

    # -- selection ------------------------------------------------------------------------

    def select(self, context: base.AgentContext) -> list[str]:
        phase = context.options.get("phase")
        if phase not in (None, "", "all", PHASE_NEW, PHASE_FOLLOW_UPS):
            raise InvalidInput(f"unknown SDR phase {phase!r}")
        items: list[str] = []
        if phase in (None, "", "all", PHASE_FOLLOW_UPS):
            items += [f"reply:{pk}" for pk in self._replies()]
        if phase in (None, "", "all", PHASE_NEW):
            items += [f"lead:{pk}" for pk in self._new_leads()]
        if phase in (None, "", "all", PHASE_FOLLOW_UPS):
            items += [f"followup:{pk}" for pk in self._follow_ups(context)]
        return items

    def _replies(self) -> list[int]:
        return list(
            Reply.objects.filter(handled=False)
            .order_by("received_at", "id")
            .values_list("pk", flat=True)
        )

    def _new_leads(self) -> list[int]:
        rows = (
            Lead.objects.filter(status=LeadStatus.NEW)
            .annotate(has_first_touch=_has_first_touch())
            .filter(Q(scored_at__isnull=True) | Q(has_first_touch=False))
            .order_by("created_at", "id")
            .values_list("pk", "has_first_touch")
        )
        self._first_touch_at_selection = dict(rows)
        return list(self._first_touch_at_selection)

    def _follow_ups(self, context: base.AgentContext) -> list[int]:
        now = context.now
        settings = self._settings(context)
        cutoff = now - timedelta(days=settings.follow_up_after_days)
        open_draft = OutreachMessage.objects.filter(
            lead=OuterRef("pk"), review_status__in=OPEN_DRAFT
        )
        return list(
            Lead.objects.filter(status=LeadStatus.CONTACTED, last_contacted_at__lte=cutoff)
            .filter(Q(next_follow_up_at__isnull=True) | Q(next_follow_up_at__lte=now))
            .annotate(
                sent_steps=Count(
                    "outreach_messages",
                    filter=~Q(outreach_messages__review_status__in=DEAD_DRAFT),
                )
            )
            .filter(sent_steps__gte=1, sent_steps__lte=settings.max_follow_ups)
            .exclude(Exists(_stopping_replies(OuterRef("pk"))))
            .exclude(Exists(open_draft))
            .order_by("last_contacted_at", "id")
            .values_list("pk", flat=True)
        )

    # -- processing -----------------------------------------------------------------------

    def process(self, item_id: str, context: base.AgentContext) -> base.ItemResult:
        kind, _, pk = str(item_id).partition(":")
        handler = {
            "lead": self._new_lead,
            "followup": self._follow_up,
            "reply": self._reply,
        }.get(kind)
        if handler is None or not pk.isdigit():
            raise InvalidInput(f"unknown SDR item {item_id!r}")
        return handler(int(pk), context)

    # new leads: score, then a first-touch draft

    def _new_lead(self, pk: int, context: base.AgentContext) -> base.ItemResult:
        """Score and first-touch draft: both model calls first (no transaction open), then
        one write transaction under the lead's lock that re-checks what still applies."""
        settings = self._settings(context)
        lead = Lead.objects.filter(pk=pk).first()
        if lead is None:
            raise NotFound(f"lead {pk} does not exist")
        if lead.status != LeadStatus.NEW:
            return base.ItemResult.skipped(f"lead is {lead.status}")
        needs_score = lead.scored_at is None
        # A lead still unscored has not been worked on by an agent since it was selected (the
        # score is written with or before the draft): the selection's answer is used. A
        # first touch drafted by hand meanwhile costs a discarded draft: the write re-checks.
        known = self._first_touch_at_selection.get(pk)
        if needs_score and known is not None:
            lead.has_first_touch = known
        else:
            lead.has_first_touch = _live_drafts(lead).filter(sequence_step=1).exists()
        if not needs_score and lead.has_first_touch:
            return base.ItemResult.skipped("already scored and drafted")
        facts = lead_facts(lead)
        lead_ctx = _lead_context(lead, facts)
        score = self._score(lead, facts, lead_ctx, settings, context) if needs_score else None
        if lead.has_first_touch:
            return self._record(lead, score, None, context)
        try:
            draft, result = self._first_touch(lead, lead_ctx, settings, context)
        except Exception:
            # The draft failed (the item is recorded as failed, or the run retried): the
            # score stands on its own, the next run drafts.
            if score is not None:
                self._record(lead, score, None, context)
            raise
        return self._record(lead, score, (draft, result), context)

    def _score(
        self,
        lead: Lead,
        facts: Any,
        lead_ctx: dict[str, Any],
        settings: AgentSettings,
        context: base.AgentContext,
    ) -> tuple[int, list[str]]:
        """The lead's score and its reasons: the rubric combined with the model's fit."""
        rubric = rubric_score(lead, settings, facts)
        result = generate(
            "sdr.score_lead",
            {
                "lead": lead_ctx,
                "icp": settings.icp or "No ideal customer profile was written down.",
                "lead_notes": lead.notes,
            },
            run_id=context.run_id,
            agent=self.name,
        )
        model_score: int | None = None
        extra: list[str] = []
        if result.ok and result.data is not None:
            model_score = int(result.data["score"])
            extra.append(
                f"model fit: {result.data['fit']} ({model_score}): {result.data['rationale']}"
            )
        else:
            extra.append("model fit: the answer was invalid, the rubric alone decides")
        score, reasons = combined_score(rubric, model_score, settings)
        extra += [f"note: {flag}" for flag in injection_flags(notes=lead.notes)]
        return score, [*reasons, *extra]

    def _first_touch(
        self,
        lead: Lead,
        lead_ctx: dict[str, Any],
        settings: AgentSettings,
        context: base.AgentContext,
    ) -> tuple[OutreachDraft, LLMResult]:
        result = generate(
            "sdr.outreach_first_touch",
            {
                "lead": lead_ctx,
                "sender": sales_sender(settings),
                "offering": _offering(settings),
                "recipient_email": lead.email,
                "lead_notes": lead.notes,
            },
            run_id=context.run_id,
            agent=self.name,
        )
        data = answer_data(result, required=("subject", "body"))
        draft = OutreachDraft(
            subject=data["subject"][:200],
            body=data["body"],
            sequence_step=1,
            agent=self.name,
            flagged_reasons=(*finding_flags(result), *injection_flags(notes=lead.notes)),
            **llm_fields(result),
        )
        return draft, result

    def _record(
        self,
        lead: Lead,
        score: tuple[int, list[str]] | None,
        drafted: tuple[OutreachDraft, LLMResult] | None,
        context: base.AgentContext,
    ) -> base.ItemResult:
        """Write what the model calls produced in one transaction (the service takes the
        lead's lock and keeps only what still applies); auto-approve inside it."""
        draft, result = drafted if drafted is not None else (None, None)
        with transaction.atomic():
            outcome = lead_first_touch_record(
                lead=lead,
                score=score[0] if score else None,
                reasons=score[1] if score else (),
                draft=draft,
                run_id=context.run_id,
            )
            approved = (
                outcome.message is not None
                and auto_approval_apply(
                    artifact=outcome.message,
                    action_type="outreach.first_touch",
                    result=result,
                    flags=list(outcome.message.flagged_reasons),
                    run_id=context.run_id,
                ).auto_approve
            )
        if outcome.message is not None:
            return base.ItemResult.processed(
                "scored and drafted" if outcome.scored else "drafted",
                artifacts=1,
                auto_approved=int(approved),
            )
        if drafted is not None or not outcome.scored:
            # The first touch (or all of it) no longer applies; a score is still kept.
            return base.ItemResult.skipped(outcome.skipped or "already scored")
        return base.ItemResult.processed("scored")

    # contacted leads without an answer: the next follow-up

    def _follow_up_check(
        self, lead: Lead, now: datetime, settings: AgentSettings
    ) -> _FollowUp | str:
        if lead.status != LeadStatus.CONTACTED:
            return f"lead is {lead.status}"
        if lead.next_follow_up_at is not None and lead.next_follow_up_at > now:
            return f"paused until {lead.next_follow_up_at.date()}"
        if _stopping_replies(lead).exists():
            return "the lead replied"
        if OutreachMessage.objects.filter(lead=lead, review_status__in=OPEN_DRAFT).exists():
            return "a draft is waiting to be sent"
        live = _live_drafts(lead)
        steps = live.aggregate(n=Max("sequence_step"))["n"] or 0
        if steps == 0 or steps > settings.max_follow_ups:
            return "no follow-up due"
        if lead.last_contacted_at is None or lead.last_contacted_at > now - timedelta(
            days=settings.follow_up_after_days
        ):
            return "contacted too recently"
        previous = live.filter(sequence_step=steps).first()
        return _FollowUp(lead=lead, step=steps + 1, previous=previous)

    def _follow_up(self, pk: int, context: base.AgentContext) -> base.ItemResult:
        settings = self._settings(context)
        with transaction.atomic():
            due = self._follow_up_check(lead_lock(pk), context.now, settings)
        if isinstance(due, str):
            return base.ItemResult.skipped(due)
        lead = due.lead
        facts = lead_facts(lead)
        days_since = max(1, (context.now - lead.last_contacted_at).days)
        result = generate(
            "sdr.outreach_follow_up",
            {
                "lead": _lead_context(lead, facts),
                "sender": sales_sender(settings),
                "offering": _offering(settings),
                "recipient_email": lead.email,
                "previous_subject": due.previous.subject,
                "previous_body": due.previous.body,
                "days_since": days_since,
            },
            run_id=context.run_id,
            agent=self.name,
        )
        data = answer_data(result, required=("subject", "body"))
        flags = finding_flags(result)
        with transaction.atomic():
            again = self._follow_up_check(lead_lock(pk), context.now, settings)
            if isinstance(again, str) or again.step != due.step:
                return base.ItemResult.skipped("follow-up drafted meanwhile")
            message = outreach_draft_create(
                lead=again.lead,
                subject=data["subject"][:200],
                body=data["body"],
                sequence_step=due.step,
                run_id=context.run_id,
                agent=self.name,
                flagged_reasons=flags,
                **llm_fields(result),
            )
            approved = auto_approval_apply(
                artifact=message,
                action_type="outreach.follow_up",
                result=result,
                flags=flags,
                run_id=context.run_id,
            ).auto_approve
        return base.ItemResult.processed(
            f"follow-up {due.step} drafted", artifacts=1, auto_approved=int(approved)
        )

    # replies: classify, move the lead, mark handled

    def _reply(self, pk: int, context: base.AgentContext) -> base.ItemResult:
        """Classify a reply (one plain read, the model call, then one write transaction in
        which ``reply_handle`` re-checks the reply under its lock)."""
        reply = Reply.objects.select_related("lead").filter(pk=pk).first()
        if reply is None:
            raise NotFound(f"reply {pk} does not exist")
        if reply.handled:
            return base.ItemResult.skipped("reply already handled")
        lead = reply.lead
        previous = (
            OutreachMessage.objects.filter(lead=lead)
            .order_by("-sequence_step")
            .values_list("subject", flat=True)
            .first()
        )
        result = generate(
            "sdr.classify_reply",
            {
                "lead": {
                    "first_name": lead.first_name,
                    "last_name": lead.last_name,
                    "company": lead.company,
                },
                "today": context.now.date().isoformat(),
                "original_subject": previous or reply.subject,
                "reply_body": f"{reply.subject}\n\n{reply.body}".strip(),
            },
            run_id=context.run_id,
            agent=self.name,
        )
        data = answer_data(result, required=("classification",))
        classification = data["classification"]
        if classification not in ReplyClassification.values:
            raise InvalidInput(f"the model classified the reply as unknown {classification!r}")
        not_now_until = None
        if classification == ReplyClassification.NOT_NOW:
            not_now_until = _date_or_none(
                data.get("not_before"), context.now.date()
            ) or context.now.date() + timedelta(days=90)
        with transaction.atomic():
            handled = reply_handle(
                reply=reply,
                classification=classification,
                not_now_until=not_now_until,
                run_id=context.run_id,
                reason=f"reply {pk} classified {classification}: "
                f"{str(data.get('summary', ''))[:200]}",
            )
            if handled is None:
                return base.ItemResult.skipped("reply handled meanwhile")
            if classification in _SUPPRESS_ON:
                # "Stop emailing me" and hard bounces are permanent: the address goes on the
                # tenant's suppression list, which the outbox checks before every send.
                suppression_add(
                    email=handled.lead.email,
                    reason=_SUPPRESS_ON[classification],
                    source="reply",
                    detail=f"reply {pk} classified {classification}",
                )
        moved = f" → {handled.lead.status}" if handled.transition else ""
        return base.ItemResult.processed(f"reply classified {classification}{moved}")


_SUPPRESS_ON = {
    ReplyClassification.UNSUBSCRIBE: SuppressionReason.UNSUBSCRIBED,
    ReplyClassification.BOUNCE: SuppressionReason.BOUNCED,
}


def _date_or_none(value: Any, today: date) -> date | None:
    if not value:
        return None
    try:
        parsed = date.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed > today else None
