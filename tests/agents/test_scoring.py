"""The rubric reads a lead's industry and company size columns, falling back to note lines
where a column is empty."""

from __future__ import annotations

import pytest

from revo.agents.models import AgentSettings
from revo.agents.scoring import lead_facts, rubric_score
from revo.leads.models import Lead
from tests.leads.factories import LeadFactory


def _settings() -> AgentSettings:
    return AgentSettings(target_industries=["software"], min_company_size=50, max_company_size=1000)


def _criteria(lead: Lead) -> dict[str, int]:
    return {c.name: c.score for c in rubric_score(lead, _settings()).criteria}


def test_rubric_reads_the_columns(tenant):
    lead = LeadFactory(industry="software", company_size=240, notes="")

    criteria = _criteria(Lead.objects.get(pk=lead.pk))

    assert (criteria["industry"], criteria["company_size"]) == (100, 100)


def test_rubric_falls_back_to_note_lines_when_the_columns_are_empty(tenant):
    lead = LeadFactory(industry="", company_size=None, notes="Industry: Software\nEmployees: 1.2k")

    facts = lead_facts(lead)
    criteria = _criteria(lead)

    assert (facts.industry, facts.company_size) == ("Software", 1200)
    assert criteria["industry"] == 100
    assert criteria["company_size"] < 100  # above the 1000 maximum


@pytest.mark.parametrize(
    ("industry", "size", "expected"),
    [
        ("software", 240, ("software", 240)),
        ("", 240, ("retail", 240)),
        ("software", None, ("software", 5)),
    ],
    ids=["both-columns", "industry-from-notes", "size-from-notes"],
)
def test_columns_win_over_notes_one_fact_at_a_time(industry, size, expected):
    lead = Lead(industry=industry, company_size=size, notes="Industry: retail\nEmployees: 5")

    facts = lead_facts(lead)

    assert (facts.industry, facts.company_size) == expected


def test_without_columns_or_notes_the_facts_are_unknown():
    facts = lead_facts(Lead(notes="Call back next week."))

    assert (facts.industry, facts.company_size) == ("", None)
    criteria = {c.name: c for c in rubric_score(Lead(), AgentSettings()).criteria}
    assert criteria["industry"].reason == "industry unknown"
    assert criteria["company_size"].reason == "company size unknown"


def test_fractional_weights_count_as_given():
    lead = Lead(title="CEO", source="purchased list")
    settings = AgentSettings(
        scoring_weights={
            "title": 0.5,
            "company_size": 0,
            "industry": 0,
            "source": 0.5,
            "completeness": 0,
        }
    )

    assert rubric_score(lead, settings).score == 55  # (100 + 10) / 2
