"""``reply_handle``: a classified reply is recorded, the lead moves as it implies and the
reply is marked handled, all in one transaction; a reply handled meanwhile is left alone."""

from __future__ import annotations

import datetime as dt

import pytest

from revo.core.exceptions import InvalidInput
from revo.leads.models import Lead, LeadStatus, Reply
from revo.leads.services import lead_transition, reply_handle, reply_mark_handled
from tests.leads.factories import LeadFactory, ReplyFactory


def contacted_reply(**fields: object) -> Reply:
    lead = LeadFactory()
    lead_transition(lead=lead, transition="contact", reason="first touch sent")
    return ReplyFactory(lead=lead, **fields)


@pytest.mark.parametrize(
    ("classification", "status", "transition"),
    [
        ("interested", LeadStatus.ENGAGED, "engage"),
        ("objection", LeadStatus.ENGAGED, "engage"),
        ("not_interested", LeadStatus.DISQUALIFIED, "disqualify"),
        ("unsubscribe", LeadStatus.UNSUBSCRIBED, "unsubscribe"),
        ("bounce", LeadStatus.BOUNCED, "bounce"),
        ("out_of_office", LeadStatus.CONTACTED, None),
    ],
    ids=["interested", "objection", "not-interested", "unsubscribe", "bounce", "out-of-office"],
)
def test_the_reply_is_classified_handled_and_the_lead_moves(
    tenant, classification, status, transition
):
    reply = contacted_reply()

    handled = reply_handle(reply=reply, classification=classification, reason="by the model")

    stored = Reply.objects.get(pk=reply.pk)
    assert (stored.classification, stored.handled) == (classification, True)
    assert stored.classified_at is not None
    assert stored.handled_at is not None
    assert handled.transition == transition
    assert Lead.objects.get(pk=reply.lead_id).status == status


def test_not_now_pauses_follow_ups_until_the_date(tenant):
    reply = contacted_reply()
    until = dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=30)

    handled = reply_handle(reply=reply, classification="not_now", not_now_until=until)

    lead = Lead.objects.get(pk=reply.lead_id)
    assert handled.transition is None
    assert lead.status == LeadStatus.CONTACTED
    assert lead.next_follow_up_at == dt.datetime.combine(until, dt.time.min, tzinfo=dt.UTC)
    assert Reply.objects.get(pk=reply.pk).not_now_until == until


def test_a_reply_handled_meanwhile_is_left_alone(tenant):
    reply = contacted_reply()
    reply_mark_handled(reply=reply)

    assert reply_handle(reply=reply, classification="interested") is None

    assert Reply.objects.get(pk=reply.pk).classification == ""
    assert Lead.objects.get(pk=reply.lead_id).status == LeadStatus.CONTACTED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"classification": "maybe"}, "unknown reply classification"),
        (
            {"classification": "interested", "not_now_until": dt.date(2030, 1, 1)},
            "not_now_until only goes with",
        ),
    ],
    ids=["unknown-classification", "date-without-not-now"],
)
def test_bad_input_is_refused_and_nothing_is_written(tenant, kwargs, message):
    reply = contacted_reply()

    with pytest.raises(InvalidInput, match=message):
        reply_handle(reply=reply, **kwargs)

    stored = Reply.objects.get(pk=reply.pk)
    assert (stored.classification, stored.handled) == ("", False)
