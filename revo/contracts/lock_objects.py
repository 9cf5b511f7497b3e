"""Row locks of the contracts app: every concurrent change to a contract starts here."""

from __future__ import annotations

from typing import Any

from revo.contracts.models import Contract, PricingPolicy
from revo.core.exceptions import NotFound


def contract_lock(*, pk: Any) -> Contract:
    """Lock a contract row until the transaction ends. Negotiation rounds are numbered
    under this lock, which is what keeps their numbers gapless."""
    try:
        return Contract.objects.select_for_update().get(pk=pk)
    except Contract.DoesNotExist:
        raise NotFound(f"contract {pk} does not exist") from None


def pricing_policy_lock() -> PricingPolicy | None:
    return PricingPolicy.objects.select_for_update().order_by("pk").first()
