"""The standard offer the sales and negotiation agents price: the tenant's package of
price-list items (``AgentSettings.offer_package``), valued at list price by code, and the
bounds the pricing policy puts on any amount or discount derived from it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from revo.agents.models import AgentSettings
from revo.contracts.models import PriceListItem, PricingPolicy
from revo.contracts.selectors import pricing_policy_get
from revo.contracts.services import LineInput, pricing_policy_ensure
from revo.core.exceptions import InvalidInput

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class PackageLine:
    item: PriceListItem
    quantity: Decimal

    @property
    def gross(self) -> Decimal:
        return (self.quantity * self.item.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Offer:
    lines: tuple[PackageLine, ...]
    policy: PricingPolicy

    @property
    def list_total(self) -> Decimal:
        return sum((line.gross for line in self.lines), Decimal("0.00"))

    @property
    def floor_total(self) -> Decimal:
        """The lowest total the policy allows: list total less the hard-floor discount."""
        factor = (HUNDRED - self.policy.hard_floor_discount_pct) / HUNDRED
        return (self.list_total * factor).quantize(CENT, rounding=ROUND_HALF_UP)

    def clamp_amount(self, amount: Decimal | None) -> Decimal:
        """An amount bounded by the price list: the list total when none is known, never
        above it, never below the floor."""
        if amount is None:
            return self.list_total
        return max(self.floor_total, min(self.list_total, amount.quantize(CENT)))

    def discount_for(self, amount: Decimal) -> Decimal:
        """The uniform line discount (%) that brings the list total down to ``amount``."""
        if self.list_total <= 0 or amount >= self.list_total:
            return Decimal("0.00")
        pct = (HUNDRED * (self.list_total - amount) / self.list_total).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        return max(Decimal("0.00"), pct)

    def line_inputs(self, discount_pct: Decimal) -> list[LineInput]:
        return [
            LineInput(sku=line.item.sku, quantity=line.quantity, discount_pct=discount_pct)
            for line in self.lines
        ]

    def pricing_context(self) -> dict[str, object]:
        return {
            "max_discount_pct": str(self.policy.max_discount_pct_without_admin),
            "floor_price": str(self.floor_total),
            "list_prices": {line.item.name: str(line.item.unit_price) for line in self.lines},
        }

    def line_items_context(self) -> list[dict[str, str]]:
        return [
            {
                "product": line.item.name,
                "quantity": _plain(line.quantity),
                "unit_price": str(line.item.unit_price),
            }
            for line in self.lines
        ]


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def offer_build(settings: AgentSettings) -> Offer:
    """The package from the settings, priced from the active price list. Without a package,
    the first active item, one unit. Unknown or inactive SKUs are refused."""
    policy = pricing_policy_get() or pricing_policy_ensure()
    wanted = [
        (str(entry.get("sku", "")).strip(), entry.get("quantity", 1))
        for entry in settings.offer_package or []
        if isinstance(entry, dict)
    ]
    items = {item.sku: item for item in PriceListItem.objects.filter(active=True)}
    if not wanted:
        first = min(items.values(), key=lambda item: item.sku, default=None)
        if first is None:
            raise InvalidInput("the price list has no active item to offer")
        return Offer(lines=(PackageLine(first, Decimal("1")),), policy=policy)
    lines = []
    for sku, quantity in wanted:
        item = items.get(sku)
        if item is None:
            raise InvalidInput(f"the offer package names {sku!r}, not an active price list item")
        try:
            qty = Decimal(str(quantity))
        except ArithmeticError:
            raise InvalidInput(f"the offer package has a bad quantity for {sku}") from None
        if qty <= 0:
            raise InvalidInput(f"the offer package has a bad quantity for {sku}")
        lines.append(PackageLine(item, qty))
    return Offer(lines=tuple(lines), policy=policy)
