"""Tenant defaults for billing, run once per tenant by the provisioning service."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from revo.billing.models import (
    BillingSettings,
    DunningLevel,
    DunningPolicy,
    DunningTone,
)

# (level, name, days after due date, tone, fee, auto-approvable, auto-approve max, min days)
DEFAULT_DUNNING_LEVELS: tuple[
    tuple[int, str, int, str, Decimal, bool, Decimal | None, int], ...
] = (
    (1, "Friendly reminder", -3, DunningTone.FRIENDLY, Decimal("0.00"), True, Decimal("5000"), 0),
    (2, "Payment reminder", 7, DunningTone.FRIENDLY, Decimal("0.00"), False, None, 5),
    (3, "Second reminder", 14, DunningTone.FIRM, Decimal("10.00"), False, None, 7),
    (4, "Final notice", 30, DunningTone.FINAL, Decimal("25.00"), False, None, 14),
)

DEFAULT_PAYMENT_INSTRUCTIONS = (
    "Please transfer the total to the account below and quote the invoice number."
)


@transaction.atomic
def billing_tenant_setup() -> None:
    """Default billing settings and dunning ladder of the current tenant schema; existing
    rows are left as they are, so running it again changes nothing."""
    BillingSettings.objects.get_or_create(
        singleton=True, defaults={"payment_instructions": DEFAULT_PAYMENT_INSTRUCTIONS}
    )
    policy, _ = DunningPolicy.objects.get_or_create(singleton=True)
    if policy.levels.exists():
        return
    DunningLevel.objects.bulk_create(
        DunningLevel(
            policy=policy,
            level=level,
            name=name,
            days_offset=offset,
            tone=tone,
            fee=fee,
            auto_approvable=auto,
            auto_approve_max_amount=auto_max,
            min_days_since_previous=min_days,
        )
        for level, name, offset, tone, fee, auto, auto_max, min_days in DEFAULT_DUNNING_LEVELS
    )
