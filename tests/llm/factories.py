"""Factories for the LLM layer; prompt versions are created through the service."""

from __future__ import annotations

import factory

from revo.llm.models import PromptSource, PromptTemplate
from revo.llm.services import prompt_version_create
from tests.factories import ServiceFactory

EMAIL_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["subject", "body"],
    "properties": {
        "subject": {"type": "string", "minLength": 1, "maxLength": 120},
        "body": {"type": "string", "minLength": 1},
    },
}


class PromptTemplateFactory(ServiceFactory):
    """A small outbound-email prompt: trusted ``lead``, untrusted ``notes``."""

    class Meta:
        model = PromptTemplate

    key = factory.Sequence(lambda n: f"test.email_{n}")
    system_text = "You write short sales emails."
    user_template = "Write to {{ lead.first_name }} at {{ lead.company }}.\nNotes:\n{{ notes }}"
    output_schema = EMAIL_SCHEMA
    inputs = factory.LazyFunction(
        lambda: [
            {"name": "lead"},
            {"name": "recipient_email"},
            {"name": "notes", "untrusted": True, "required": False},
        ]
    )
    model = ""
    options = factory.LazyFunction(dict)
    fallback_template = factory.LazyFunction(
        lambda: {"subject": "Hello {{ lead.first_name }}", "body": "Hi {{ lead.first_name }}."}
    )
    validators = factory.LazyFunction(
        lambda: {"required": ["subject", "body"], "max_length": {"subject": 120, "body": 1500}}
    )
    source = PromptSource.USER
    note = ""
    activate = True

    @classmethod
    def _create(cls, model_class: type[PromptTemplate], **kwargs: object) -> PromptTemplate:
        return prompt_version_create(**kwargs)


def email_context(**overrides: object) -> dict:
    context = {
        "lead": {"first_name": "Jana", "company": "Brightline"},
        "recipient_email": "jana@brightline.example",
        "notes": "Met at a conference.",
    }
    context.update(overrides)
    return context


GOOD_EMAIL = {"subject": "Hello Jana", "body": "Hi Jana, would a short call next week help?"}
