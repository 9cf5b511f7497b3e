"""Leads, outreach drafts and replies, created through their services."""

from __future__ import annotations

import factory

from revo.leads.models import Lead, OutreachMessage, Reply
from revo.leads.services import lead_create, outreach_draft_create, reply_record
from tests.factories import ServiceFactory


class LeadFactory(ServiceFactory):
    class Meta:
        model = Lead

    email = factory.Sequence(lambda n: f"lead{n}@prospect.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    company = factory.Faker("company")
    title = "Head of Operations"
    industry = "software"
    company_size = 120
    country = "DE"
    source = "factory"

    @classmethod
    def _create(cls, model_class: type[Lead], **kwargs: object) -> Lead:
        return lead_create(**kwargs)


class OutreachMessageFactory(ServiceFactory):
    class Meta:
        model = OutreachMessage

    lead = factory.SubFactory(LeadFactory)
    subject = "Quick question about your pipeline"
    body = "Hi, would a short call next week make sense?"
    sequence_step = 1

    @classmethod
    def _create(cls, model_class: type[OutreachMessage], **kwargs: object) -> OutreachMessage:
        return outreach_draft_create(**kwargs)


class ReplyFactory(ServiceFactory):
    class Meta:
        model = Reply

    lead = factory.SubFactory(LeadFactory)
    from_email = factory.LazyAttribute(lambda o: o.lead.email)
    subject = "Re: Quick question about your pipeline"
    body = "Sounds interesting, tell me more."

    @classmethod
    def _create(cls, model_class: type[Reply], **kwargs: object) -> Reply:
        return reply_record(**kwargs)
