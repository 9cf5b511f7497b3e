"""The confidence score and the auto-approval gate."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from revo.llm.approval import auto_approval_decide
from revo.llm.confidence import NO_LOGPROB_CERTAINTY, confidence_score
from revo.llm.models import AutoApprovalRule
from revo.llm.services import auto_approval_rule_save


@pytest.mark.parametrize(
    ("valid", "reasks", "logprob", "expected"),
    [
        (False, 0, -0.01, 0.0),
        (True, 0, None, NO_LOGPROB_CERTAINTY),
        (True, 1, None, round(0.7 * NO_LOGPROB_CERTAINTY, 3)),
        (True, 2, None, round(0.4 * NO_LOGPROB_CERTAINTY, 3)),
        (True, 0, 0.0, 1.0),
        (True, 0, -0.6931, 0.5),
        (True, 0, 3.0, 1.0),
    ],
    ids=["invalid", "no-logprob", "one-reask", "two-reasks", "certain", "half", "clamped"],
)
def test_confidence_score(valid, reasks, logprob, expected):
    assert confidence_score(valid=valid, reasks=reasks, mean_logprob=logprob) == expected


@pytest.fixture
def dunning_rule(tenant) -> AutoApprovalRule:
    return auto_approval_rule_save(
        action_type="dunning.level_1",
        min_confidence=Decimal("0.8"),
        max_amount=Decimal("500.00"),
        currency="EUR",
        enabled=True,
        sample_rate=Decimal("0.1"),
    )


class FixedRandom(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def decide(**overrides):  # noqa: ANN201
    arguments = {
        "action_type": "dunning.level_1",
        "confidence": 0.85,
        "amount": Decimal("120.00"),
        "currency": "EUR",
        "validators_passed": True,
        "rng": FixedRandom(0.5),
    }
    arguments.update(overrides)
    return auto_approval_decide(**arguments)


def test_item_within_an_enabled_rule_is_auto_approved(dunning_rule):
    decision = decide()

    assert decision.auto_approve is True
    assert decision.sampled_for_review is False


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"validators_passed": False}, "validators"),
        ({"confidence": 0.79}, "confidence"),
        ({"confidence": None}, "confidence"),
        ({"amount": Decimal("500.01")}, "exceeds"),
        ({"amount": None}, "no amount"),
        ({"currency": "USD"}, "USD"),
        ({"action_type": "dunning.level_2"}, "no enabled auto-approval rule"),
    ],
    ids=[
        "validators",
        "low-confidence",
        "no-confidence",
        "amount",
        "no-amount",
        "currency",
        "no-rule",
    ],
)
def test_item_outside_the_rule_goes_to_review(dunning_rule, overrides, reason):
    decision = decide(**overrides)

    assert decision.auto_approve is False
    assert reason in decision.reason


def test_a_disabled_rule_approves_nothing(dunning_rule):
    auto_approval_rule_save(
        action_type="dunning.level_1", min_confidence=Decimal("0.1"), enabled=False
    )

    assert decide().auto_approve is False


def test_a_random_sample_of_approvable_items_still_goes_to_review(dunning_rule):
    sampled = decide(rng=FixedRandom(0.05))
    spared = decide(rng=FixedRandom(0.1))

    assert (sampled.auto_approve, sampled.sampled_for_review) == (False, True)
    assert "sampled" in sampled.reason
    assert (spared.auto_approve, spared.sampled_for_review) == (True, False)


def test_sample_rate_is_roughly_honoured_with_a_seeded_rng(dunning_rule):
    rng = random.Random(42)

    sampled = sum(decide(rng=rng).sampled_for_review for _ in range(2000))

    assert 140 < sampled < 260  # 10% of 2000 = 200


@pytest.mark.parametrize("action_type", ["contract", "contract.draft", "contract_revision"])
def test_contracts_always_go_to_review(tenant, action_type):
    decision = decide(action_type=action_type, confidence=1.0)

    assert decision.auto_approve is False
    assert decision.reason == "contracts always go to review"


def test_a_contract_rule_cannot_be_enabled(tenant):
    with pytest.raises(ValidationError, match="contracts"):
        auto_approval_rule_save(
            action_type="contract.draft", min_confidence=Decimal("0.9"), enabled=True
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AutoApprovalRule.objects.create(
            action_type="contract.draft", min_confidence=Decimal("0.9"), enabled=True
        )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"min_confidence": Decimal("1.5")}, "min_confidence"),
        ({"sample_rate": Decimal("-0.1")}, "sample_rate"),
        ({"max_amount": Decimal("-1")}, "max_amount"),
        ({"action_type": " "}, "action_type"),
    ],
    ids=["confidence", "sample", "amount", "empty-type"],
)
def test_invalid_rule_is_refused(tenant, overrides, field):
    arguments = {
        "action_type": "dunning.level_1",
        "min_confidence": Decimal("0.8"),
        "enabled": True,
    }
    arguments.update(overrides)

    with pytest.raises(ValidationError) as raised:
        auto_approval_rule_save(**arguments)

    assert field in raised.value.message_dict
    assert not AutoApprovalRule.objects.exists()
