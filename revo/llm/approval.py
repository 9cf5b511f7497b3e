"""The confidence gate: may an artifact skip human review?

Only where the tenant's ``AutoApprovalRule`` for the action type is enabled, the validators
passed, the confidence reaches the rule's minimum and the amount stays under its maximum.
Contracts (action types starting with ``contract``) always go to review. Of the items that
qualify, a random share (``sample_rate``) still goes to review so people keep seeing what the
agents send.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from revo.llm.models import AutoApprovalRule


@dataclass(frozen=True)
class AutoApprovalDecision:
    auto_approve: bool
    reason: str
    sampled_for_review: bool = False


def _review(reason: str) -> AutoApprovalDecision:
    return AutoApprovalDecision(auto_approve=False, reason=reason)


def auto_approval_decide(
    *,
    action_type: str,
    confidence: float | None,
    amount: Decimal | None,
    validators_passed: bool,
    currency: str | None = None,
    rng: random.Random | None = None,
) -> AutoApprovalDecision:
    if action_type.startswith("contract"):
        return _review("contracts always go to review")
    if not validators_passed:
        return _review("validators did not pass")
    rule = AutoApprovalRule.objects.filter(action_type=action_type, enabled=True).first()
    if rule is None:
        return _review(f"no enabled auto-approval rule for {action_type}")
    if confidence is None or Decimal(str(confidence)) < rule.min_confidence:
        return _review(f"confidence {confidence} is below the rule's {rule.min_confidence}")
    if rule.max_amount is not None:
        if amount is None:
            return _review("the rule limits the amount but no amount was given")
        if rule.currency and currency and currency != rule.currency:
            return _review(f"amount is in {currency}, the rule's limit in {rule.currency}")
        if amount > rule.max_amount:
            return _review(f"amount {amount} exceeds the rule's maximum {rule.max_amount}")
    draw = (rng or random.SystemRandom()).random()
    if Decimal(str(draw)) < rule.sample_rate:
        return AutoApprovalDecision(
            auto_approve=False,
            reason=f"sampled for review ({rule.sample_rate:%} of auto-approvable items)",
            sampled_for_review=True,
        )
    return AutoApprovalDecision(
        auto_approve=True, reason=f"auto-approved by rule {rule.action_type}"
    )
