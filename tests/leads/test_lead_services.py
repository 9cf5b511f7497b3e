from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from revo.audit.selectors import history_for
from revo.core.exceptions import Conflict, InvalidInput
from revo.leads.models import Lead, LeadStatus
from revo.leads.services import (
    lead_apply_reply_classification,
    lead_create,
    lead_record_contact,
    lead_score_set,
    lead_soft_delete,
    lead_transition,
    lead_update,
)
from tests.leads.factories import LeadFactory


def test_create_stores_a_lowercased_email_and_cleaned_fields(tenant, sdr):
    lead = lead_create(email="  Ada.Lovelace@Example.COM ", first_name=" Ada ", country="de")

    assert (lead.email, lead.first_name, lead.country) == ("ada.lovelace@example.com", "Ada", "DE")
    assert lead.status == LeadStatus.NEW
    assert lead.lawful_basis == "legitimate_interest"


def test_create_refuses_an_email_that_exists_in_another_case(tenant):
    lead_create(email="ada@example.com")

    with pytest.raises(Conflict):
        lead_create(email="ADA@example.com")

    assert Lead.objects.count() == 1


def test_database_refuses_a_duplicate_email_even_without_the_service(tenant):
    LeadFactory(email="ada@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(email="ada@example.com")


@pytest.mark.parametrize("email", ["Ada@example.com", ""], ids=["uppercase", "empty"])
def test_database_refuses_an_uppercase_or_empty_email(tenant, email):
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(email=email)


@pytest.mark.parametrize("score", [-1, 101], ids=["below-0", "above-100"])
def test_database_refuses_a_score_out_of_range(tenant, score):
    lead = LeadFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(score=score)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "not a valid email"),
        ({"email": ""}, "email is required"),
        ({"email": "a@example.com", "country": "Narnia"}, "ISO 3166"),
        ({"email": "a@example.com", "country": "XX"}, "ISO 3166"),
        ({"email": "a@example.com", "first_name": "x" * 101}, "longer than 100"),
        ({"email": "a@example.com", "lawful_basis": "vibes"}, "lawful basis"),
    ],
    ids=["bad-email", "no-email", "unknown-country", "unassigned-code", "long-name", "basis"],
)
def test_create_refuses_invalid_data_and_writes_nothing(tenant, fields, message):
    with pytest.raises(InvalidInput, match=message):
        lead_create(**fields)

    assert not Lead.all_objects.exists()


def test_soft_deleted_lead_frees_its_email_and_is_audited(tenant, sdr):
    lead = LeadFactory(email="ada@example.com")

    lead_soft_delete(lead=lead, by=sdr, reason="asked to be forgotten")
    again = lead_create(email="ada@example.com")

    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert Lead.all_objects.get(pk=lead.pk).is_deleted
    assert again.pk != lead.pk
    assert history_for(lead).last().transition == "soft_delete"


def test_update_changes_plain_fields(tenant, sdr):
    lead = LeadFactory(company="Old Co")

    updated = lead_update(lead=lead, data={"company": "New Co", "country": "fr"}, owner=sdr)

    updated.refresh_from_db()
    assert (updated.company, updated.country, updated.owner) == ("New Co", "FR", sdr)


@pytest.mark.parametrize("field", ["status", "score", "score_reasons", "deleted_at"])
def test_update_refuses_status_and_score(tenant, field):
    lead = LeadFactory()

    with pytest.raises(InvalidInput, match=field):
        lead_update(lead=lead, data={field: "qualified"})

    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_update_refuses_an_email_another_lead_has(tenant):
    LeadFactory(email="taken@example.com")
    lead = LeadFactory()

    with pytest.raises(Conflict):
        lead_update(lead=lead, data={"email": "TAKEN@example.com"})


def test_score_set_keeps_reasons_and_audits(tenant, sdr):
    lead = LeadFactory()

    lead_score_set(lead=lead, score=80, reasons=["ICP industry", "senior title"], by=sdr)
    lead = lead_score_set(lead=lead, score=65, reasons=["small company"], by=sdr)

    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == (65, ["small company"])
    rows = [r for r in history_for(lead) if r.field == "score"]
    assert [(r.from_state, r.to_state) for r in rows] == [("", "80"), ("80", "65")]
    assert rows[-1].data == {"reasons": ["small company"]}


@pytest.mark.parametrize("score", [-1, 101, 50.5, True, "80"], ids=str)
def test_score_set_refuses_invalid_scores(tenant, score):
    lead = LeadFactory()

    with pytest.raises(InvalidInput):
        lead_score_set(lead=lead, score=score)

    assert Lead.objects.get(pk=lead.pk).score is None


def test_unknown_transition_is_invalid_input(tenant):
    lead = LeadFactory()

    with pytest.raises(InvalidInput):
        lead_transition(lead=lead, transition="delete")


def test_record_contact_moves_a_new_lead_and_stamps_later_contacts(tenant):
    lead = LeadFactory()

    lead = lead_record_contact(lead=lead)
    first = lead.last_contacted_at
    lead = lead_record_contact(lead=lead)

    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED
    assert lead.last_contacted_at >= first
    assert [r.transition for r in history_for(lead)] == ["create", "contact"]


@pytest.mark.parametrize(
    ("classification", "expected_status", "expected_transition"),
    [
        ("interested", "engaged", "engage"),
        ("question", "engaged", "engage"),
        ("objection", "engaged", "engage"),
        ("not_now", "contacted", None),
        ("not_interested", "disqualified", "disqualify"),
        ("unsubscribe", "unsubscribed", "unsubscribe"),
        ("out_of_office", "contacted", None),
        ("bounce", "bounced", "bounce"),
    ],
    ids=lambda v: str(v),
)
def test_reply_classification_moves_a_contacted_lead(
    tenant, classification, expected_status, expected_transition
):
    lead = lead_transition(lead=LeadFactory(), transition="contact")

    outcome = lead_apply_reply_classification(lead=lead, classification=classification)

    assert outcome.transition == expected_transition
    assert Lead.objects.get(pk=lead.pk).status == expected_status
    if expected_transition:
        row = history_for(lead).last()
        assert row.data == {"classification": classification}


@pytest.mark.parametrize(
    ("path", "classification"),
    [
        (["contact", "engage"], "question"),
        (["contact", "engage", "qualify"], "interested"),
        (["unsubscribe"], "interested"),
        (["bounce"], "unsubscribe"),
        (["contact", "engage", "qualify", "convert"], "not_interested"),
    ],
    ids=[
        "engaged-question",
        "qualified-interested",
        "unsubscribed-interested",
        "bounced-unsub",
        "converted-not-interested",
    ],
)
def test_reply_classification_leaves_the_lead_when_the_move_is_not_legal(
    tenant, path, classification
):
    lead = LeadFactory()
    for name in path:
        lead = lead_transition(lead=lead, transition=name)
    rows = history_for(lead).count()

    outcome = lead_apply_reply_classification(lead=lead, classification=classification)

    assert outcome.transition is None
    assert Lead.objects.get(pk=lead.pk).status == lead.status
    assert history_for(lead).count() == rows


def test_reply_classification_refuses_unknown_values(tenant):
    with pytest.raises(InvalidInput):
        lead_apply_reply_classification(lead=LeadFactory(), classification="maybe")
