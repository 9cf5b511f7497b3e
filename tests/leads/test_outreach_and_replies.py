from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from revo.audit.selectors import history_for
from revo.core.exceptions import Conflict, InvalidInput
from revo.leads.models import OutreachMessage, Reply
from revo.leads.services import (
    lead_transition,
    lead_update,
    outreach_draft_create,
    reply_classify,
    reply_mark_handled,
    reply_record,
)
from revo.reviews.models import ReviewItem, ReviewStatus
from revo.reviews.services import review_decide
from tests.leads.factories import LeadFactory, OutreachMessageFactory, ReplyFactory


def test_draft_goes_to_the_review_queue_addressed_to_the_lead(tenant):
    lead = LeadFactory(email="ada@example.com")

    message = outreach_draft_create(
        lead=lead, subject="Hello", body="Hi Ada", agent="sdr", confidence="0.800"
    )

    item = ReviewItem.objects.get(object_id=message.pk, entity_type="outreach")
    assert message.review_status == ReviewStatus.PENDING_REVIEW
    assert message.to_email == "ada@example.com"
    assert message.ai_original == {"subject": "Hello", "body": "Hi Ada"}
    assert item.status == ReviewStatus.PENDING_REVIEW
    assert item.title == "Step 1 to ada@example.com: Hello"
    assert [r.to_state for r in history_for(message)] == ["pending_review"]


def test_recipient_stays_what_it_was_at_draft_time(tenant):
    message = OutreachMessageFactory(lead=LeadFactory(email="old@example.com"))

    lead_update(lead=message.lead, data={"email": "new@example.com"})

    assert OutreachMessage.objects.get(pk=message.pk).to_email == "old@example.com"


def test_second_live_draft_of_the_same_step_is_refused(tenant):
    message = OutreachMessageFactory()

    with pytest.raises(Conflict):
        outreach_draft_create(lead=message.lead, subject="Again", body="Again")
    follow_up = outreach_draft_create(
        lead=message.lead, subject="Follow-up", body="Bump", sequence_step=2
    )

    assert follow_up.sequence_step == 2


def test_database_refuses_a_second_live_draft_of_the_same_step(tenant):
    message = OutreachMessageFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        OutreachMessage.objects.create(
            lead=message.lead, sequence_step=1, subject="x", body="y", to_email="a@b.example"
        )


@pytest.mark.parametrize(
    ("decision", "reason"),
    [("reject", "off tone"), ("regenerate", "shorter please")],
    ids=["rejected", "regenerate-requested"],
)
def test_a_rejected_or_regenerated_draft_makes_room_for_a_new_one(tenant, sdr, decision, reason):
    message = OutreachMessageFactory()
    review_decide(
        entity_type="outreach", entity_id=message.pk, decision=decision, by=sdr, reason=reason
    )

    again = outreach_draft_create(lead=message.lead, subject="Take two", body="Better")

    assert again.sequence_step == message.sequence_step
    assert OutreachMessage.objects.filter(lead=message.lead).count() == 2


def test_approved_outreach_stays_approved_and_nothing_else_happens(tenant, sdr):
    message = OutreachMessageFactory()

    result = review_decide(
        entity_type="outreach",
        entity_id=message.pk,
        decision="edit_approve",
        by=sdr,
        edits={"subject": "Edited subject"},
    )

    message.refresh_from_db()
    assert result.artifact.review_status == ReviewStatus.APPROVED
    assert message.subject == "Edited subject"
    assert message.ai_original["subject"] == "Quick question about your pipeline"
    with pytest.raises(Conflict):
        outreach_draft_create(lead=message.lead, subject="Another", body="x")


@pytest.mark.parametrize("path", [["unsubscribe"], ["bounce"], ["disqualify"]], ids=str)
def test_no_draft_for_a_lead_we_may_not_write_to(tenant, path):
    lead = LeadFactory()
    for name in path:
        lead = lead_transition(lead=lead, transition=name)

    with pytest.raises(Conflict):
        outreach_draft_create(lead=lead, subject="Hello", body="Hi")

    assert not OutreachMessage.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": "", "body": "Hi"}, "subject"),
        ({"subject": "x" * 201, "body": "Hi"}, "subject"),
        ({"subject": "Hello", "body": "  "}, "body"),
        ({"subject": "Hello", "body": "Hi", "sequence_step": 0}, "sequence_step"),
    ],
    ids=["no-subject", "long-subject", "no-body", "step-0"],
)
def test_invalid_draft_is_refused(tenant, kwargs, field):
    with pytest.raises(InvalidInput) as excinfo:
        outreach_draft_create(lead=LeadFactory(), **kwargs)

    assert field in excinfo.value.details
    assert not OutreachMessage.objects.exists()


def test_reply_is_recorded_unclassified(tenant):
    reply = ReplyFactory(from_email="Ada@Example.com")

    assert reply.from_email == "ada@example.com"
    assert reply.classification == ""
    assert not reply.handled


def test_same_message_id_is_recorded_once(tenant):
    lead = LeadFactory()

    first = reply_record(lead=lead, from_email=lead.email, message_id="<m1@example.com>")
    second = reply_record(lead=lead, from_email=lead.email, message_id="<m1@example.com>")

    assert first.pk == second.pk
    assert Reply.objects.count() == 1


def test_reply_from_an_invalid_address_is_refused(tenant):
    with pytest.raises(InvalidInput):
        reply_record(lead=LeadFactory(), from_email="nobody")


def test_classify_records_only_the_classification(tenant):
    reply = ReplyFactory()
    lead_status = reply.lead.status

    reply = reply_classify(
        reply=reply, classification="not_now", not_now_until=dt.date(2027, 1, 15)
    )

    reply.refresh_from_db()
    assert (reply.classification, reply.not_now_until) == ("not_now", dt.date(2027, 1, 15))
    assert reply.classified_at is not None
    assert reply.lead.status == lead_status


@pytest.mark.parametrize(
    ("classification", "not_now_until"),
    [("maybe", None), ("interested", dt.date(2027, 1, 1))],
    ids=["unknown", "date-without-not-now"],
)
def test_classify_refuses_bad_input(tenant, classification, not_now_until):
    reply = ReplyFactory()

    with pytest.raises(InvalidInput):
        reply_classify(reply=reply, classification=classification, not_now_until=not_now_until)

    assert Reply.objects.get(pk=reply.pk).classification == ""


def test_mark_handled_stamps_the_time_once(tenant):
    reply = reply_mark_handled(reply=ReplyFactory())
    at = reply.handled_at

    again = reply_mark_handled(reply=reply)

    assert again.handled
    assert again.handled_at == at
