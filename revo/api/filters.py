"""Filters safe on any input: a value the database would choke on is a 400, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError


class UtcIsoDateTimeField(forms.DateTimeField):
    """An ISO 8601 datetime, converted to UTC (PostgreSQL refuses offsets past ±15:59)."""

    def to_python(self, value: object) -> datetime | None:
        parsed = django_filters.fields.IsoDateTimeField().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("Enter a datetime between years 1 and 9999.") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
