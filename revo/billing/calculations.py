"""Invoice arithmetic. Money is Decimal, rounded half-up to cents once per line and once
for the tax, so the printed lines add up to the printed subtotal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(*, quantity: Decimal, unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    """Gross rounded to cents, minus the discount rounded to cents (as contracts price it,
    so an invoice line equals its contract line)."""
    gross = money(quantity * unit_price)
    return gross - money(gross * discount_pct / HUNDRED)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal


def invoice_totals(*, line_totals: Iterable[Decimal], tax_rate_pct: Decimal) -> Totals:
    subtotal = money(sum(line_totals, Decimal(0)))
    tax_amount = money(subtotal * tax_rate_pct / HUNDRED)
    return Totals(subtotal=subtotal, tax_amount=tax_amount, total=subtotal + tax_amount)
