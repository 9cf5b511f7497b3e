"""The review queue's filters. Each reads only ``ReviewItem`` columns; the choices come
from the registry (types), fixed bands (confidence, age) or one indexed query (agents)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from revo.reviews import selectors
from revo.reviews.models import ReviewItem, ReviewStatus

ORDER_PARAM = "order"


class StatusFilter(admin.SimpleListFilter):
    """Pending by default: the queue is what still waits for a person."""

    title = "status"
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*ReviewStatus.choices, (self.ALL, "All")]

    def _selected(self) -> str:
        return self.value() or ReviewStatus.PENDING_REVIEW

    def queryset(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> QuerySet:
        selected = self._selected()
        if selected == self.ALL:
            return queryset
        if selected not in ReviewStatus.values:
            return queryset.none()
        return queryset.filter(status=selected)

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        selected = self._selected()
        for value, label in self.lookup_choices:
            yield {
                "selected": selected == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class OrderingFilter(admin.SimpleListFilter):
    """Not a filter: the choice between oldest-first and riskiest-first, shown beside the
    filters. ``ReviewItemAdmin.get_ordering`` applies it."""

    title = "order"
    parameter_name = ORDER_PARAM
    DEFAULT = "oldest"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("oldest", "Oldest first"),
            ("risk", "Riskiest first (lowest confidence, highest amount)"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> QuerySet:
        return queryset

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        selected = self.value() or self.DEFAULT
        for value, label in self.lookup_choices:
            yield {
                "selected": selected == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class EntityTypeFilter(admin.SimpleListFilter):
    title = "type"
    parameter_name = "entity_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return selectors.review_entity_types()

    def queryset(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> QuerySet:
        value = self.value()
        return queryset.filter(entity_type=value) if value else queryset


class AgentFilter(admin.SimpleListFilter):
    title = "agent"
    parameter_name = "agent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(agent, agent) for agent in selectors.review_agents()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> QuerySet:
        value = self.value()
        return queryset.filter(agent=value) if value else queryset


class ConfidenceBandFilter(admin.SimpleListFilter):
    title = "confidence"
    parameter_name = "confidence_band"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in selectors.CONFIDENCE_BANDS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> QuerySet:
        value = self.value()
        return selectors.confidence_band_filter(queryset, value) if value else queryset


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _, _) in selectors.AGE_BANDS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> QuerySet:
        value = self.value()
        return selectors.age_band_filter(queryset, value) if value else queryset
