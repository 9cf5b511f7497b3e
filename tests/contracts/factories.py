"""Price list items and contracts, created through their services."""

from __future__ import annotations

from decimal import Decimal

import factory

from revo.contracts.models import Contract, PriceListItem
from revo.contracts.services import LineInput, contract_create, price_list_item_create
from tests.deals.factories import DealFactory
from tests.factories import ServiceFactory


class PriceListItemFactory(ServiceFactory):
    class Meta:
        model = PriceListItem

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    unit = "seat"
    unit_price = Decimal("100.00")

    @classmethod
    def _create(cls, model_class: type[PriceListItem], **kwargs: object) -> PriceListItem:
        return price_list_item_create(**kwargs)


def default_lines() -> list[LineInput]:
    return [
        LineInput(description="Platform licence", quantity="10", unit_price="100.00"),
        LineInput(description="Onboarding", quantity="1", unit_price="500.00", discount_pct="10"),
    ]


class ContractFactory(ServiceFactory):
    class Meta:
        model = Contract

    deal = factory.SubFactory(DealFactory)
    lines = factory.LazyFunction(default_lines)
    payment_terms_net_days = 30

    @classmethod
    def _create(cls, model_class: type[Contract], **kwargs: object) -> Contract:
        return contract_create(**kwargs)
