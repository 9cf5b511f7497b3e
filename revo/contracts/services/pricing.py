"""The pricing policy, the price list, and the arithmetic of contract lines: every amount
on a contract is computed here, never taken from input."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction

from revo.contracts.lock_objects import pricing_policy_lock
from revo.contracts.models import PriceListItem, PricingPolicy
from revo.core.exceptions import Conflict, InvalidInput

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
MAX_QUANTITY = Decimal("999999999.999")
MAX_MONEY = Decimal("999999999999.99")


def _decimal(value: Any, *, name: str) -> Decimal:
    if isinstance(value, float):
        raise InvalidInput(f"{name} must be a decimal, not a float", details={name: str(value)})
    try:
        result = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(
            f"{name} is not a number: {value!r}", details={name: str(value)}
        ) from None
    if not result.is_finite():
        raise InvalidInput(f"{name} must be finite", details={name: str(value)})
    return result


def _percent(value: Any, *, name: str) -> Decimal:
    pct = _decimal(value, name=name)
    if pct < 0 or pct > HUNDRED:
        raise InvalidInput(f"{name} must be between 0 and 100", details={name: str(pct)})
    return pct.quantize(CENT, rounding=ROUND_HALF_UP)


def _currency(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidInput(f"{value!r} is not an ISO 4217 currency code (e.g. EUR)")
    return code


# --------------------------------------------------------------------------- policy


@transaction.atomic
def pricing_policy_ensure() -> PricingPolicy:
    """The tenant's pricing policy, created with the defaults (15 % without an admin,
    never more than 30 % off, the tenant's currency) if it does not exist yet. Runs as a
    tenant setup step, so every provisioned tenant has one."""
    policy = pricing_policy_lock()
    if policy is not None:
        return policy
    currency = getattr(getattr(connection, "tenant", None), "default_currency", None) or "EUR"
    policy, _ = PricingPolicy.objects.get_or_create(singleton=True, defaults={"currency": currency})
    return policy


@transaction.atomic
def pricing_policy_update(
    *,
    max_discount_pct_without_admin: Decimal | str | None = None,
    hard_floor_discount_pct: Decimal | str | None = None,
    currency: str | None = None,
) -> PricingPolicy:
    """Change the policy's limits or currency. The no-approval limit may not exceed the
    hard floor. Contracts already approved keep the terms they were approved with."""
    policy = pricing_policy_ensure()  # locked until the transaction ends
    if max_discount_pct_without_admin is not None:
        policy.max_discount_pct_without_admin = _percent(
            max_discount_pct_without_admin, name="max_discount_pct_without_admin"
        )
    if hard_floor_discount_pct is not None:
        policy.hard_floor_discount_pct = _percent(
            hard_floor_discount_pct, name="hard_floor_discount_pct"
        )
    if currency is not None:
        policy.currency = _currency(currency)
    if policy.max_discount_pct_without_admin > policy.hard_floor_discount_pct:
        raise InvalidInput(
            "the discount allowed without an admin cannot exceed the hard floor",
            details={
                "max_discount_pct_without_admin": str(policy.max_discount_pct_without_admin),
                "hard_floor_discount_pct": str(policy.hard_floor_discount_pct),
            },
        )
    policy.save()
    return policy


# --------------------------------------------------------------------------- price list


@transaction.atomic
def price_list_item_create(
    *, sku: str, name: str, unit_price: Decimal | str, unit: str = "unit", active: bool = True
) -> PriceListItem:
    sku = (sku or "").strip()
    name = (name or "").strip()
    if not sku or not name:
        raise InvalidInput("a price list item needs a sku and a name")
    if PriceListItem.objects.filter(sku__iexact=sku).exists():
        raise Conflict(f"sku {sku!r} is already on the price list")
    price = _money(unit_price, name="unit_price")
    return PriceListItem.objects.create(
        sku=sku, name=name, unit=(unit or "unit").strip(), unit_price=price, active=active
    )


@transaction.atomic
def price_list_item_update(
    *,
    item: PriceListItem,
    name: str | None = None,
    unit_price: Decimal | str | None = None,
    unit: str | None = None,
    active: bool | None = None,
) -> PriceListItem:
    """Change a price list item. Existing contract lines keep the price they were
    written with."""
    item = PriceListItem.objects.select_for_update().get(pk=item.pk)
    if name is not None:
        if not name.strip():
            raise InvalidInput("name must not be empty")
        item.name = name.strip()
    if unit_price is not None:
        item.unit_price = _money(unit_price, name="unit_price")
    if unit is not None:
        item.unit = unit.strip() or "unit"
    if active is not None:
        item.active = active
    item.save()
    return item


def _money(value: Any, *, name: str) -> Decimal:
    amount = _decimal(value, name=name)
    if amount < 0 or amount > MAX_MONEY:
        raise InvalidInput(f"{name} must be between 0 and {MAX_MONEY}", details={name: str(amount)})
    if amount != amount.quantize(CENT):
        raise InvalidInput(f"{name} has more than 2 decimal places", details={name: str(amount)})
    return amount


# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class LineInput:
    """One contract line as a caller describes it. Price-list lines name a ``sku`` and get
    the list price; custom lines give ``description`` and ``unit_price``. Totals are never
    part of the input."""

    quantity: Decimal | str | int
    sku: str = ""
    description: str = ""
    unit_price: Decimal | str | None = None
    discount_pct: Decimal | str | int = Decimal("0")
    unit: str = ""


@dataclass(frozen=True)
class PricedLine:
    position: int
    price_list_item: PriceListItem | None
    sku: str
    description: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    gross: Decimal
    discount: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class PricedContract:
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    max_discount_pct: Decimal
    requires_admin: bool


def line_amounts(
    *, quantity: Decimal, unit_price: Decimal, discount_pct: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, discount, line total) of a line, each rounded half-up to the cent."""
    gross = (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
    discount = (gross * discount_pct / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    return gross, discount, gross - discount


def lines_price(
    *, lines: list[LineInput] | tuple[LineInput, ...], policy: PricingPolicy, currency: str
) -> PricedContract:
    """Validate every line against the price list and the pricing policy and compute all
    amounts. A discount beyond the hard floor is refused; one above the no-approval limit
    marks the contract as needing an admin's approval."""
    if not lines:
        raise InvalidInput("a contract needs at least one line")
    skus = {line.sku.strip() for line in lines if isinstance(line, LineInput) and line.sku}
    items = {i.sku: i for i in PriceListItem.objects.filter(sku__in=skus, active=True)}
    priced: list[PricedLine] = []
    errors: dict[str, str] = {}
    for position, line in enumerate(lines, start=1):
        try:
            priced.append(_line_price(position, line, items, policy, currency))
        except InvalidInput as exc:
            errors[f"line {position}"] = exc.message
    if errors:
        raise InvalidInput("; ".join(f"{k}: {v}" for k, v in errors.items()), details=errors)
    subtotal = sum((p.gross for p in priced), Decimal("0.00"))
    discount_total = sum((p.discount for p in priced), Decimal("0.00"))
    max_pct = max(p.discount_pct for p in priced)
    if subtotal > MAX_MONEY:
        raise InvalidInput(f"the contract subtotal exceeds {MAX_MONEY}")
    return PricedContract(
        lines=priced,
        subtotal=subtotal,
        discount_total=discount_total,
        total=subtotal - discount_total,
        max_discount_pct=max_pct,
        requires_admin=max_pct > policy.max_discount_pct_without_admin,
    )


def _line_price(
    position: int,
    line: LineInput,
    items: dict[str, PriceListItem],
    policy: PricingPolicy,
    currency: str,
) -> PricedLine:
    if not isinstance(line, LineInput):
        raise InvalidInput("lines must be LineInput values")
    quantity = _decimal(line.quantity, name="quantity")
    if quantity <= 0 or quantity > MAX_QUANTITY:
        raise InvalidInput(f"quantity must be greater than 0 and at most {MAX_QUANTITY}")
    if quantity != quantity.quantize(Decimal("0.001")):
        raise InvalidInput("quantity has more than 3 decimal places")
    discount_pct = _percent(line.discount_pct, name="discount_pct")
    if discount_pct > policy.hard_floor_discount_pct:
        raise InvalidInput(
            f"a discount of {discount_pct}% is beyond the pricing policy's floor of "
            f"{policy.hard_floor_discount_pct}%"
        )
    sku = (line.sku or "").strip()
    item: PriceListItem | None = None
    if sku:
        item = items.get(sku)
        if item is None:
            raise InvalidInput(f"sku {sku!r} is not an active price list item")
        if currency != policy.currency:
            raise InvalidInput(
                f"price list items are priced in {policy.currency}, the contract in {currency}"
            )
        if line.unit_price is not None and _money(line.unit_price, name="unit_price") != (
            item.unit_price
        ):
            raise InvalidInput(
                f"{sku} is sold at the list price {item.unit_price}; give a discount instead"
            )
        unit_price = item.unit_price
        description = (line.description or "").strip() or item.name
        unit = (line.unit or "").strip() or item.unit
    else:
        if line.unit_price is None:
            raise InvalidInput("a line without a sku needs a unit_price")
        unit_price = _money(line.unit_price, name="unit_price")
        description = (line.description or "").strip()
        if not description:
            raise InvalidInput("a line without a sku needs a description")
        unit = (line.unit or "").strip() or "unit"
    gross, discount, total = line_amounts(
        quantity=quantity, unit_price=unit_price, discount_pct=discount_pct
    )
    return PricedLine(
        position=position,
        price_list_item=item,
        sku=sku,
        description=description[:300],
        unit=unit[:32],
        quantity=quantity,
        unit_price=unit_price,
        discount_pct=discount_pct,
        gross=gross,
        discount=discount,
        line_total=total,
    )
