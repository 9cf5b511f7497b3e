"""Filters shared by list endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request


def to_utc(value: datetime) -> datetime:
    """An aware datetime in UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601
    (and Python) accept, so the offset is resolved before the value reaches SQL."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise forms.ValidationError("Datetime out of range.", code="invalid") from None


class UtcIsoDateTimeField(IsoDateTimeField):
    def clean(self, value: Any) -> datetime | None:
        cleaned = super().clean(value)
        return to_utc(cleaned) if cleaned is not None else None


class IsoUtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` whose value is normalised to UTC (bad values: 400)."""

    field_class = UtcIsoDateTimeField


class TotalOrderingFilter(OrderingFilter):
    """DRF's ``?ordering=`` ending on the primary key (in the direction of the last term)
    when the client's terms do not include it: rows with equal values then keep one order,
    so numbered pages neither repeat nor skip a row."""

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> Any:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        pk_names = {"pk", queryset.model._meta.pk.name}
        terms = [term for term in ordering if isinstance(term, str)]
        if len(terms) < len(ordering) or pk_names & {term.lstrip("-") for term in terms}:
            return ordering
        return [*ordering, "-pk" if terms[-1].startswith("-") else "pk"]
