from __future__ import annotations

from decimal import Decimal

import pytest

from revo.billing.calculations import invoice_totals, line_total


@pytest.mark.parametrize(
    ("quantity", "unit_price", "discount", "expected"),
    [
        ("1", "100.00", "0", "100.00"),
        ("3", "950.00", "0", "2850.00"),
        ("1", "12000.00", "10", "10800.00"),
        ("2.5", "19.99", "0", "49.98"),  # 49.975 rounds half up
        ("1", "0.05", "50", "0.02"),  # discount 0.025 rounds up to 0.03: 0.05 - 0.03
        ("7", "10.00", "100", "0.00"),
    ],
    ids=["plain", "quantity", "discount", "round-half-up", "discount-rounding", "free"],
)
def test_line_total_rounds_gross_and_discount_to_cents(quantity, unit_price, discount, expected):
    assert line_total(
        quantity=Decimal(quantity), unit_price=Decimal(unit_price), discount_pct=Decimal(discount)
    ) == Decimal(expected)


def test_invoice_totals_add_tax_on_the_rounded_subtotal():
    totals = invoice_totals(
        line_totals=[Decimal("10800.00"), Decimal("2850.00")], tax_rate_pct=Decimal("19")
    )

    assert totals.subtotal == Decimal("13650.00")
    assert totals.tax_amount == Decimal("2593.50")
    assert totals.total == Decimal("16243.50")


def test_invoice_totals_of_no_tax():
    totals = invoice_totals(line_totals=[Decimal("1.01")], tax_rate_pct=Decimal("0"))

    assert (totals.subtotal, totals.tax_amount, totals.total) == (
        Decimal("1.01"),
        Decimal("0.00"),
        Decimal("1.01"),
    )
