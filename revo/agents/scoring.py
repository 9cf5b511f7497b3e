"""The SDR's deterministic lead-scoring rubric and its combination with the model's fit.

Each criterion scores 0–100; the rubric score is their average weighted by the tenant's
``AgentSettings.scoring_weights``. The final score mixes in the model's fit score by
``model_weight_pct``. Every criterion explains itself, so a reviewer sees why a lead
scored what it did.

Company size and industry come from the lead's ``industry`` and ``company_size`` columns
(set by people, the API and the CSV import). Where a column is empty, a ``notes`` line such
as ``Industry: software`` or ``Employees: 240`` fills it in (leads imported before the
columns existed, or notes pasted from elsewhere); with neither, the fact is "unknown".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from revo.agents.models import AgentSettings, default_scoring_weights
from revo.leads.facts import notes_facts

CRITERIA = ("title", "company_size", "industry", "source", "completeness")
UNKNOWN_SOURCE_SCORE = 30
UNKNOWN_SCORE = 40  # a criterion we know nothing about: neither reward nor punish much

_TITLE_LEVELS: tuple[tuple[re.Pattern[str], int, str], ...] = (
    (
        re.compile(
            r"\b(ceo|cro|coo|cfo|cto|chief|founder|owner|president|managing director)\b", re.I
        ),
        100,
        "C-level or founder",
    ),
    (re.compile(r"\b(vp|vice president|svp|evp)\b", re.I), 90, "vice president"),
    (re.compile(r"\b(head|director)\b", re.I), 80, "head / director"),
    (re.compile(r"\b(manager|lead|principal)\b", re.I), 60, "manager"),
    (
        re.compile(r"\b(senior|specialist|executive|consultant|analyst)\b", re.I),
        40,
        "individual contributor",
    ),
    (re.compile(r"\b(intern|assistant|student|trainee|junior)\b", re.I), 10, "junior"),
)
_COMPLETENESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "title",
    "country",
    "website",
    "phone",
)


@dataclass(frozen=True)
class Criterion:
    name: str
    score: int
    reason: str


@dataclass(frozen=True)
class LeadFacts:
    """What the rubric and the prompts know about a lead."""

    industry: str = ""
    company_size: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def lead_facts(lead: Any) -> LeadFacts:
    """What is known about the lead's company: its columns first, then ``Key: value`` lines
    of its notes for a column that is empty. Other note lines are kept as ``extra``."""
    notes = notes_facts(getattr(lead, "notes", "") or "")
    industry = (getattr(lead, "industry", "") or "").strip() or notes.industry
    size = getattr(lead, "company_size", None)
    return LeadFacts(
        industry=industry,
        company_size=notes.company_size if size is None else size,
        extra=notes.extra,
    )


def _title(title: str) -> Criterion:
    if not title.strip():
        return Criterion("title", UNKNOWN_SCORE - 20, "no title given")
    for pattern, score, label in _TITLE_LEVELS:
        if pattern.search(title):
            return Criterion("title", score, f"title '{title}' reads as {label}")
    return Criterion("title", UNKNOWN_SCORE, f"title '{title}' shows no seniority")


def _company_size(size: int | None, settings: AgentSettings) -> Criterion:
    low, high = settings.min_company_size, settings.max_company_size
    if size is None:
        return Criterion("company_size", UNKNOWN_SCORE, "company size unknown")
    if low <= size <= high:
        return Criterion("company_size", 100, f"{size} employees, within {low}-{high}")
    if size < low:
        ratio = size / low if low else 0
        return Criterion(
            "company_size", round(60 * ratio), f"{size} employees, below the {low} minimum"
        )
    ratio = high / size if size else 0
    return Criterion(
        "company_size", round(30 + 40 * ratio), f"{size} employees, above the {high} maximum"
    )


def _industry(industry: str, settings: AgentSettings) -> Criterion:
    targets = [str(t).strip().lower() for t in settings.target_industries or [] if str(t).strip()]
    if not industry:
        return Criterion("industry", UNKNOWN_SCORE, "industry unknown")
    if not targets:
        return Criterion("industry", 60, f"industry '{industry}' (no target industries set)")
    text = industry.lower()
    if any(target in text or text in target for target in targets):
        return Criterion("industry", 100, f"industry '{industry}' is a target industry")
    return Criterion("industry", 10, f"industry '{industry}' is outside the target industries")


def _country_note(country: str, settings: AgentSettings) -> str:
    targets = {str(c).upper() for c in settings.target_countries or []}
    if not targets or not country:
        return ""
    return "in a target country" if country.upper() in targets else "outside the target countries"


def _source(source: str, settings: AgentSettings) -> Criterion:
    scores = {str(k).strip().lower(): int(v) for k, v in (settings.source_scores or {}).items()}
    key = source.strip().lower()
    if not key:
        return Criterion("source", UNKNOWN_SOURCE_SCORE, "source unknown")
    if key in scores:
        return Criterion("source", max(0, min(100, scores[key])), f"source '{source}'")
    return Criterion("source", UNKNOWN_SOURCE_SCORE, f"source '{source}' has no set score")


def _completeness(lead: Any, facts: LeadFacts) -> Criterion:
    present = [name for name in _COMPLETENESS_FIELDS if str(getattr(lead, name, "") or "").strip()]
    known = len(present) + bool(facts.industry) + (facts.company_size is not None)
    total = len(_COMPLETENESS_FIELDS) + 2
    missing = [name for name in _COMPLETENESS_FIELDS if name not in present]
    if not facts.industry:
        missing.append("industry")
    if facts.company_size is None:
        missing.append("company size")
    reason = f"{known} of {total} data fields known" + (
        f" (missing: {', '.join(missing)})" if missing else ""
    )
    return Criterion("completeness", round(100 * known / total), reason)


@dataclass(frozen=True)
class RubricScore:
    score: int
    criteria: tuple[Criterion, ...]
    country_note: str = ""


def rubric_score(lead: Any, settings: AgentSettings, facts: LeadFacts | None = None) -> RubricScore:
    """The deterministic score of a lead (0–100) and its criteria."""
    facts = facts or lead_facts(lead)
    criteria = (
        _title(lead.title or ""),
        _company_size(facts.company_size, settings),
        _industry(facts.industry, settings),
        _source(lead.source or "", settings),
        _completeness(lead, facts),
    )
    weights = {**default_scoring_weights(), **(settings.scoring_weights or {})}
    weight = {c.name: max(0.0, float(weights.get(c.name, 0))) for c in criteria}
    total_weight = sum(weight.values())
    if total_weight == 0:
        score = round(sum(c.score for c in criteria) / len(criteria))
    else:
        score = round(sum(c.score * weight[c.name] for c in criteria) / total_weight)
    country = _country_note(lead.country or "", settings)
    if country == "outside the target countries":
        score = round(score * 0.8)
    return RubricScore(score=max(0, min(100, score)), criteria=criteria, country_note=country)


def combined_score(
    rubric: RubricScore, model_score: int | None, settings: AgentSettings
) -> tuple[int, list[str]]:
    """The final score and its reasons: the rubric and, when the model answered, its fit
    score weighted by ``model_weight_pct``."""
    reasons = [f"{c.name}: {c.score} ({c.reason})" for c in rubric.criteria]
    if rubric.country_note:
        reasons.append(f"country: {rubric.country_note}")
    reasons.append(f"rubric score {rubric.score}")
    if model_score is None:
        return rubric.score, [*reasons, "model fit: not available"]
    share = max(0, min(100, settings.model_weight_pct)) / 100
    score = round(rubric.score * (1 - share) + max(0, min(100, model_score)) * share)
    return max(0, min(100, score)), reasons
