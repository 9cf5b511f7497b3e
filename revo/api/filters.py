"""Filters shared by list endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField


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
