from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from revo.leads.selectors import (
    lead_get_by_email,
    lead_list,
    leads_due_for_follow_up,
    outreach_live_for_lead,
    replies_unhandled,
)
from revo.leads.services import lead_transition, lead_update, reply_mark_handled
from revo.reviews.services import review_decide
from tests.leads.factories import LeadFactory, OutreachMessageFactory, ReplyFactory


def test_lead_is_found_by_email_in_any_case(tenant):
    lead = LeadFactory(email="ada@example.com")

    assert lead_get_by_email(" ADA@Example.com ") == lead
    assert lead_get_by_email("nobody@example.com") is None


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"status": "contacted"}, ["b@example.com"]),
        ({"search": "initech"}, ["c@example.com"]),
        ({}, ["a@example.com", "b@example.com", "c@example.com"]),
    ],
    ids=["status", "search", "all"],
)
def test_lead_list_filters(tenant, kwargs, expected):
    LeadFactory(email="a@example.com", company="Acme")
    lead_transition(lead=LeadFactory(email="b@example.com", company="Acme"), transition="contact")
    LeadFactory(email="c@example.com", company="Initech")

    assert sorted(lead.email for lead in lead_list(**kwargs)) == expected


def test_follow_ups_due_exclude_future_and_closed_leads(tenant):
    past = timezone.now() - dt.timedelta(hours=1)
    due = lead_update(lead=LeadFactory(), next_follow_up_at=past)
    lead_update(lead=LeadFactory(), next_follow_up_at=timezone.now() + dt.timedelta(days=1))
    closed = lead_update(lead=LeadFactory(), next_follow_up_at=past)
    lead_transition(lead=closed, transition="bounce")

    assert list(leads_due_for_follow_up()) == [due]


def test_live_outreach_leaves_out_rejected_drafts(tenant, sdr):
    first = OutreachMessageFactory()
    review_decide(
        entity_type="outreach", entity_id=first.pk, decision="reject", by=sdr, reason="no"
    )
    second = OutreachMessageFactory(lead=first.lead, subject="Better")

    assert list(outreach_live_for_lead(first.lead)) == [second]


def test_unhandled_replies_leave_out_handled_ones(tenant):
    open_reply = ReplyFactory()
    reply_mark_handled(reply=ReplyFactory())

    assert list(replies_unhandled()) == [open_reply]
