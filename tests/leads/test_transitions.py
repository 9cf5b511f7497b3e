"""The lead status machine: every (state, transition) pair, allowed or forbidden."""

from __future__ import annotations

import uuid

import pytest

from revo.audit.selectors import history_for
from revo.core.exceptions import IllegalTransition
from revo.leads.models import LEAD_TRANSITIONS, Lead, LeadStatus
from revo.leads.services import lead_score_set, lead_transition
from tests.leads.factories import LeadFactory

# How a lead reaches each state through the services.
PATHS: dict[str, list[str]] = {
    LeadStatus.NEW: [],
    LeadStatus.CONTACTED: ["contact"],
    LeadStatus.ENGAGED: ["contact", "engage"],
    LeadStatus.QUALIFIED: ["contact", "engage", "qualify"],
    LeadStatus.DISQUALIFIED: ["contact", "disqualify"],
    LeadStatus.UNSUBSCRIBED: ["contact", "unsubscribe"],
    LeadStatus.BOUNCED: ["bounce"],
    LeadStatus.CONVERTED: ["contact", "engage", "qualify", "convert"],
}

ALLOWED = {
    ("new", "contact"): "contacted",
    ("new", "engage"): "engaged",
    ("contacted", "engage"): "engaged",
    ("engaged", "qualify"): "qualified",
    ("new", "disqualify"): "disqualified",
    ("contacted", "disqualify"): "disqualified",
    ("engaged", "disqualify"): "disqualified",
    ("qualified", "disqualify"): "disqualified",
    ("new", "unsubscribe"): "unsubscribed",
    ("contacted", "unsubscribe"): "unsubscribed",
    ("engaged", "unsubscribe"): "unsubscribed",
    ("qualified", "unsubscribe"): "unsubscribed",
    ("disqualified", "unsubscribe"): "unsubscribed",
    ("new", "bounce"): "bounced",
    ("contacted", "bounce"): "bounced",
    ("engaged", "bounce"): "bounced",
    ("qualified", "bounce"): "bounced",
    ("qualified", "convert"): "converted",
}

MATRIX = [(state, name) for state in LeadStatus.values for name in sorted(LEAD_TRANSITIONS)]


def lead_in(state: str, by=None) -> Lead:  # noqa: ANN001
    lead = LeadFactory()
    for name in PATHS[state]:
        lead = lead_transition(lead=lead, transition=name, by=by)
    assert lead.status == state
    return lead


def test_matrix_in_the_model_matches_the_expected_table():
    declared = {
        (str(source), name): str(target)
        for name, (sources, target) in LEAD_TRANSITIONS.items()
        for source in sources
    }
    assert declared == ALLOWED


@pytest.mark.parametrize(
    ("state", "transition"),
    [pair for pair in MATRIX if pair in ALLOWED],
    ids=[f"{s}-{t}" for s, t in MATRIX if (s, t) in ALLOWED],
)
def test_allowed_transition_moves_the_lead_and_writes_history(tenant, sdr, state, transition):
    # given
    lead = lead_in(state)
    rows_before = history_for(lead).count()

    # when
    moved = lead_transition(lead=lead, transition=transition, by=sdr, reason="because")

    # then
    moved.refresh_from_db()
    assert moved.status == ALLOWED[(state, transition)]
    assert moved.status_changed_at is not None
    history = list(history_for(moved))
    assert len(history) == rows_before + 1
    last = history[-1]
    assert (last.from_state, last.to_state, last.transition) == (
        state,
        ALLOWED[(state, transition)],
        transition,
    )
    assert last.by_user == sdr
    assert last.reason == "because"


@pytest.mark.parametrize(
    ("state", "transition"),
    [pair for pair in MATRIX if pair not in ALLOWED],
    ids=[f"{s}-{t}" for s, t in MATRIX if (s, t) not in ALLOWED],
)
def test_forbidden_transition_is_refused_and_changes_nothing(tenant, sdr, state, transition):
    # given
    lead = lead_in(state)
    rows_before = history_for(lead).count()

    # when
    with pytest.raises(IllegalTransition) as excinfo:
        lead_transition(lead=lead, transition=transition, by=sdr)

    # then
    assert excinfo.value.current == state
    assert sorted(excinfo.value.allowed) == sorted(
        name for (source, name) in ALLOWED if source == state
    )
    assert Lead.objects.get(pk=lead.pk).status == state
    assert history_for(lead).count() == rows_before


def test_creation_writes_the_first_history_row(tenant, sdr):
    lead = LeadFactory(by=sdr)

    rows = list(history_for(lead))

    assert [(r.transition, r.from_state, r.to_state, r.by_user) for r in rows] == [
        ("create", "", "new", sdr)
    ]


def test_contact_stamps_last_contacted_at(tenant):
    lead = LeadFactory()

    lead = lead_transition(lead=lead, transition="contact")

    assert Lead.objects.get(pk=lead.pk).last_contacted_at is not None


def test_status_cannot_be_assigned_directly(tenant):
    lead = LeadFactory()

    with pytest.raises(AttributeError):
        lead.status = LeadStatus.QUALIFIED


def test_agent_run_is_recorded_as_the_actor(tenant):
    run_id = uuid.uuid4()
    lead = LeadFactory()

    lead_transition(lead=lead, transition="engage", run_id=run_id, reason="reply: interested")
    lead_score_set(lead=lead, score=55, reasons=["mid-size"], run_id=run_id)

    rows = list(history_for(lead))[1:]
    assert [(r.transition, r.by_user, r.by_run_id) for r in rows] == [
        ("engage", None, run_id),
        ("score_set", None, run_id),
    ]
    assert rows[0].actor == f"agent run {run_id}"
