"""A lead's industry and company size: parsing, the services, the database's own checks and
the data migration that moved them out of the notes."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from revo.core.exceptions import InvalidInput
from revo.leads.facts import FactError, notes_facts, parse_company_size
from revo.leads.models import Lead
from revo.leads.selectors import lead_list
from revo.leads.services import lead_create, lead_update
from tests.leads.factories import LeadFactory

move_note_facts = importlib.import_module(
    "revo.leads.migrations.0004_lead_facts_from_notes"
).move_note_facts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (240, 240),
        ("1,200", 1200),
        ("1.200", 1200),
        ("1 200", 1200),
        ("1.2k", 1200),
        ("1,5K", 1500),
        ("250+", 250),
        ("51-200", 51),
        ("240 employees", 240),
        ("", None),
        ("   ", None),
        (None, None),
    ],
    ids=[
        "int",
        "comma-thousands",
        "dot-thousands",
        "space-thousands",
        "k-suffix",
        "k-decimal-comma",
        "plus",
        "range-lower-bound",
        "with-unit",
        "blank",
        "spaces",
        "none",
    ],
)
def test_company_size_is_read_from_what_exports_contain(value, expected):
    assert parse_company_size(value) == expected


@pytest.mark.parametrize(
    "value",
    ["0", 0, "-5", "lots", "1.5", "200-50", "12000000", True, 2.5],
    ids=[
        "zero-text",
        "zero",
        "negative",
        "words",
        "decimal",
        "reversed-range",
        "huge",
        "bool",
        "fraction",
    ],
)
def test_company_size_refuses_what_is_not_a_headcount(value):
    with pytest.raises(FactError):
        parse_company_size(value)


def test_notes_facts_keep_the_lenient_notes_reading():
    facts = notes_facts(
        "Met at a fair.\nSector: Fintech\nHeadcount: about 1.2k people\nBudget: 10k"
    )

    assert (facts.industry, facts.company_size) == ("Fintech", 1200)
    assert facts.extra == {"budget": "10k"}


def test_create_stores_a_normalised_industry_and_a_parsed_size(tenant):
    lead = lead_create(
        email="ada@example.com", industry="  Logistics   SOFTWARE ", company_size="1.2k"
    )

    lead.refresh_from_db()
    assert (lead.industry, lead.company_size) == ("logistics software", 1200)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"company_size": "many"}, "company_size"),
        ({"company_size": 0}, "company_size"),
        ({"industry": "x" * 101}, "industry"),
    ],
    ids=["size-words", "size-zero", "industry-too-long"],
)
def test_create_refuses_bad_facts_and_writes_nothing(tenant, fields, field):
    with pytest.raises(InvalidInput) as caught:
        lead_create(email="ada@example.com", **fields)

    assert field in caught.value.details
    assert not Lead.objects.exists()


def test_update_changes_the_facts_and_can_clear_the_size(tenant):
    lead = LeadFactory(industry="software", company_size=120)

    lead_update(lead=lead, data={"industry": "FinTech", "company_size": "250+"})
    lead.refresh_from_db()
    assert (lead.industry, lead.company_size) == ("fintech", 250)

    lead_update(lead=lead, data={"company_size": ""})
    lead.refresh_from_db()
    assert lead.company_size is None


def test_update_refuses_a_bad_size_and_keeps_the_old_one(tenant):
    lead = LeadFactory(company_size=120)

    with pytest.raises(InvalidInput, match="company size"):
        lead_update(lead=lead, data={"company_size": "-3"})

    lead.refresh_from_db()
    assert lead.company_size == 120


@pytest.mark.parametrize(
    "values",
    [{"company_size": 0}, {"industry": "Software"}, {"industry": " software"}],
    ids=["size-zero", "industry-uppercase", "industry-untrimmed"],
)
def test_database_refuses_facts_the_services_would_not_store(tenant, values):
    lead = LeadFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(**values)


def test_data_migration_fills_empty_columns_from_the_notes_and_leaves_the_notes(tenant):
    notes = "Met at a fair.\nIndustry: Data Analytics\nEmployees: 1,200"
    from_notes = LeadFactory(industry="", company_size=None, notes=notes)
    kept = LeadFactory(industry="saas", company_size=80, notes=notes)
    half = LeadFactory(industry="", company_size=45, notes=notes)
    nothing = LeadFactory(industry="", company_size=None, notes="Call back in May: maybe")

    changed = move_note_facts(apps, None)

    assert changed == 2
    for lead in (from_notes, kept, half, nothing):
        lead.refresh_from_db()
    assert (from_notes.industry, from_notes.company_size) == ("data analytics", 1200)
    assert from_notes.notes == notes
    assert (kept.industry, kept.company_size) == ("saas", 80)
    assert (half.industry, half.company_size) == ("data analytics", 45)
    assert (nothing.industry, nothing.company_size) == ("", None)


def test_lead_search_finds_leads_by_industry(tenant):
    LeadFactory(email="a@example.com", company="Acme", industry="logistics software")
    LeadFactory(email="b@example.com", company="Initech", industry="fintech")

    found = lead_list(search="Logistics")

    assert [lead.email for lead in found] == ["a@example.com"]
