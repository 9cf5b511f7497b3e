"""``lead_first_touch_record``: a new lead's score and first touch in one transaction under
the lead's lock, keeping only what still applies."""

from __future__ import annotations

import pytest

from revo.audit.selectors import history_for
from revo.core.exceptions import InvalidInput
from revo.leads.models import Lead, LeadStatus, OutreachMessage
from revo.leads.services import (
    OutreachDraft,
    lead_first_touch_record,
    lead_score_set,
    lead_transition,
)
from revo.reviews.models import ReviewItem
from tests.leads.factories import LeadFactory, OutreachMessageFactory

DRAFT = OutreachDraft(subject="  Hello Ada ", body="Hi Ada, a short call?", agent="sdr")


def test_writes_the_score_and_the_draft_together(tenant):
    lead = LeadFactory(email="ada@example.com")

    outcome = lead_first_touch_record(lead=lead, score=72, reasons=["fit", " "], draft=DRAFT)

    stored = Lead.objects.get(pk=lead.pk)
    assert (outcome.scored, outcome.skipped) == (True, "")
    assert (stored.score, stored.score_reasons) == (72, ["fit"])
    assert outcome.message.subject == "Hello Ada"
    assert outcome.message.to_email == "ada@example.com"
    assert ReviewItem.objects.filter(object_id=outcome.message.pk, entity_type="outreach").exists()
    assert [row.transition for row in history_for(stored)][-1] == "score_set"
    assert [row.to_state for row in history_for(outcome.message)] == ["pending_review"]


def test_a_second_call_writes_nothing_more(tenant):
    lead = LeadFactory()
    lead_first_touch_record(lead=lead, score=72, draft=DRAFT)

    again = lead_first_touch_record(lead=lead, score=10, draft=DRAFT)

    assert (again.scored, again.message, again.skipped) == (
        False,
        None,
        "first touch drafted meanwhile",
    )
    assert Lead.objects.get(pk=lead.pk).score == 72
    assert OutreachMessage.objects.filter(lead=lead).count() == 1


@pytest.mark.parametrize("transition", ["engage", "disqualify"], ids=["engaged", "disqualified"])
def test_a_lead_that_moved_on_keeps_its_score_but_gets_no_draft(tenant, transition):
    lead = LeadFactory()
    lead_transition(lead=lead, transition=transition, reason="moved on")

    outcome = lead_first_touch_record(lead=lead, score=55, draft=DRAFT)

    stored = Lead.objects.get(pk=lead.pk)
    assert stored.status != LeadStatus.NEW
    assert (outcome.scored, outcome.message) == (True, None)
    assert outcome.skipped == f"lead is {stored.status}"
    assert stored.score == 55
    assert [row.to_state for row in history_for(stored) if row.field == "score"] == ["55"]
    assert not OutreachMessage.objects.filter(lead=lead).exists()


def test_a_score_set_meanwhile_wins_and_the_draft_is_still_written(tenant):
    lead = LeadFactory()
    lead_score_set(lead=lead, score=90, reasons=["by hand"])

    outcome = lead_first_touch_record(lead=lead, score=20, draft=DRAFT)

    assert (outcome.scored, outcome.message is not None) == (False, True)
    assert Lead.objects.get(pk=lead.pk).score == 90


def test_a_live_first_touch_written_meanwhile_is_kept(tenant):
    existing = OutreachMessageFactory()

    outcome = lead_first_touch_record(lead=existing.lead, score=40, draft=DRAFT)

    assert outcome.scored is True
    assert outcome.message is None
    assert list(OutreachMessage.objects.filter(lead=existing.lead)) == [existing]


@pytest.mark.parametrize(
    ("score", "draft", "field"),
    [
        (101, DRAFT, "score"),
        (50, OutreachDraft(subject="", body="Hi"), "subject"),
        (50, OutreachDraft(subject="Hi", body="Hi", sequence_step=2), "sequence step 1"),
    ],
    ids=["score-out-of-range", "empty-subject", "not-a-first-touch"],
)
def test_bad_input_is_refused_and_nothing_is_written(tenant, score, draft, field):
    lead = LeadFactory()

    with pytest.raises(InvalidInput, match=field):
        lead_first_touch_record(lead=lead, score=score, draft=draft)

    stored = Lead.objects.get(pk=lead.pk)
    assert stored.scored_at is None
    assert not OutreachMessage.objects.filter(lead=lead).exists()
