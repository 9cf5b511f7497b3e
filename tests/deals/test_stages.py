"""The deal stage machine: every (from, to) pair, allowed or forbidden, and what each
move writes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from revo.audit.selectors import history_for
from revo.core.exceptions import IllegalTransition, InvalidInput
from revo.deals.models import DEFAULT_PROBABILITY, Deal, DealStage
from revo.deals.services import deal_advance, deal_mark_lost, deal_mark_won
from tests.deals.factories import DealFactory

PATHS: dict[str, list[str]] = {
    DealStage.QUALIFICATION: [],
    DealStage.PROPOSAL: [DealStage.PROPOSAL],
    DealStage.NEGOTIATION: [DealStage.PROPOSAL, DealStage.NEGOTIATION],
    DealStage.WON: [DealStage.PROPOSAL, DealStage.NEGOTIATION, DealStage.WON],
    DealStage.LOST: [DealStage.LOST],
}

ALLOWED = {
    (DealStage.QUALIFICATION, DealStage.PROPOSAL),
    (DealStage.PROPOSAL, DealStage.NEGOTIATION),
    (DealStage.NEGOTIATION, DealStage.WON),
    (DealStage.QUALIFICATION, DealStage.LOST),
    (DealStage.PROPOSAL, DealStage.LOST),
    (DealStage.NEGOTIATION, DealStage.LOST),
}

MATRIX = [(source, target) for source in DealStage.values for target in DealStage.values]


def deal_in(stage: str, **kwargs: object) -> Deal:
    deal = DealFactory(**kwargs)
    for step in PATHS[stage]:
        deal = deal_advance(deal=deal, to=step, reason="on the way")
    assert deal.stage == stage
    return deal


@pytest.mark.parametrize(
    ("source", "target"),
    [pytest.param(s, t, id=f"{s}->{t}") for s, t in MATRIX if (s, t) in ALLOWED],
)
def test_allowed_stage_move_happens_and_is_audited(tenant, sales, source, target):
    # given a deal in the source stage
    deal = deal_in(source)
    before = history_for(deal).count()

    # when it is moved to the target
    moved = deal_advance(deal=deal, to=target, by=sales, reason="customer said so")

    # then it is there, with the stage's probability, and one history row says so
    moved = Deal.objects.get(pk=deal.pk)
    assert moved.stage == target
    assert moved.probability == DEFAULT_PROBABILITY[target]
    rows = list(history_for(deal))
    assert len(rows) == before + 1
    assert (rows[-1].from_state, rows[-1].to_state) == (source, target)
    assert rows[-1].by_user == sales
    assert rows[-1].field == "stage"


@pytest.mark.parametrize(
    ("source", "target"),
    [pytest.param(s, t, id=f"{s}->{t}") for s, t in MATRIX if (s, t) not in ALLOWED],
)
def test_forbidden_stage_move_is_refused_and_changes_nothing(tenant, sales, source, target):
    # given a deal in the source stage
    deal = deal_in(source)
    before = history_for(deal).count()

    # when it is moved to the target, then the move is refused
    with pytest.raises(IllegalTransition):
        deal_advance(deal=deal, to=target, by=sales, reason="try anyway")

    # and nothing changed
    deal.refresh_from_db()
    assert deal.stage == source
    assert history_for(deal).count() == before


def test_marking_lost_requires_a_reason(tenant, sales):
    deal = deal_in(DealStage.PROPOSAL)

    with pytest.raises(InvalidInput, match="lost reason"):
        deal_mark_lost(deal=deal, reason="   ", by=sales)

    deal.refresh_from_db()
    assert deal.stage == DealStage.PROPOSAL


def test_advancing_to_lost_without_a_reason_is_refused(tenant):
    deal = deal_in(DealStage.QUALIFICATION)

    with pytest.raises(InvalidInput):
        deal_advance(deal=deal, to=DealStage.LOST)


def test_lost_deal_keeps_its_reason_and_time(tenant, sales):
    deal = deal_in(DealStage.NEGOTIATION)

    lost = deal_mark_lost(deal=deal, reason="went with a competitor", by=sales)

    lost.refresh_from_db()
    assert lost.lost_reason == "went with a competitor"
    assert lost.lost_at is not None
    assert lost.probability == 0
    assert history_for(lost).last().reason == "went with a competitor"


def test_database_refuses_a_lost_deal_without_reason(tenant):
    deal = deal_in(DealStage.QUALIFICATION)

    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(stage=DealStage.LOST, lost_reason="")


@pytest.mark.parametrize("probability", [-1, 101], ids=["negative", "above-100"])
def test_database_refuses_probability_out_of_range(tenant, probability):
    deal = deal_in(DealStage.QUALIFICATION)

    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(probability=probability)


def test_won_deal_records_when(tenant, sales):
    deal = deal_in(DealStage.NEGOTIATION)

    won = deal_mark_won(deal=deal, by=sales)

    assert won.won_at is not None
    assert won.probability == 100


def test_explicit_probability_overrides_the_stage_default(tenant):
    deal = deal_in(DealStage.QUALIFICATION)

    moved = deal_advance(deal=deal, to=DealStage.PROPOSAL, probability=45)

    assert moved.probability == 45


def test_unknown_stage_is_invalid_input(tenant):
    deal = deal_in(DealStage.QUALIFICATION)

    with pytest.raises(InvalidInput):
        deal_advance(deal=deal, to="closed")


def test_run_id_is_recorded_as_the_author_of_an_agent_move(tenant):
    deal = deal_in(DealStage.QUALIFICATION)
    run_id = "6f1f7a53-7f3e-4d38-9d2a-5b8b3b1f9c11"

    deal_advance(deal=deal, to=DealStage.PROPOSAL, run_id=run_id)

    assert str(history_for(deal).last().by_run_id) == run_id
