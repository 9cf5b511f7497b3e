"""Keyset ("seek") positions over an ordered queryset: which columns a list is ordered by,
the values of one row on them, the filter "strictly after this row" in that ordering, and
the opaque cursor text a client carries between pages.

A keyset page reads ``LIMIT n + 1`` rows from its position through the index that serves
the ordering, so a page deep in a 100k-row list costs what the first one does (``OFFSET``
reads and discards every earlier row).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import F, Field, Model, OrderBy, Q, QuerySet
from django.utils import timezone

from revo.api.filters import to_utc

NEXT = "next"
PREVIOUS = "previous"
MAX_CURSOR_LENGTH = 1000


class InvalidCursor(ValueError):  # noqa: N818 - the API answers it as a validation error
    """The cursor text is not one this list wrote (garbled, edited, or another ordering)."""


@dataclass(frozen=True)
class SortKey:
    """One column of an ordering, with where PostgreSQL puts its NULLs."""

    field: Field
    descending: bool
    nulls_first: bool

    @property
    def name(self) -> str:
        return self.field.attname

    @property
    def label(self) -> str:
        nulls = "nf" if self.nulls_first else "nl"
        return f"{self.name}:{'desc' if self.descending else 'asc'}:{nulls}"

    def reversed(self) -> SortKey:
        return SortKey(self.field, not self.descending, not self.nulls_first)

    def order_by(self) -> OrderBy:
        # PostgreSQL puts NULLs last ascending and first descending; say so only otherwise
        if self.descending:
            return F(self.name).desc(nulls_last=None if self.nulls_first else True)
        return F(self.name).asc(nulls_first=True if self.nulls_first else None)

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})

    def after(self, value: Any) -> Q | None:
        """Rows strictly after ``value`` on this column alone (None: no row can be)."""
        nullable = self.field.null
        if value is None:
            return Q(**{f"{self.name}__isnull": False}) if self.nulls_first else None
        beyond = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        if nullable and not self.nulls_first:
            beyond |= Q(**{f"{self.name}__isnull": True})
        return beyond

    def at_or_after(self, value: Any) -> Q:
        """Rows at or after ``value`` on this column: a range the index can start from."""
        if value is None:
            return Q() if self.nulls_first else Q(**{f"{self.name}__isnull": True})
        bound = Q(**{f"{self.name}__{'lte' if self.descending else 'gte'}": value})
        if self.field.null and not self.nulls_first:
            bound |= Q(**{f"{self.name}__isnull": True})
        return bound


def sort_keys(queryset: QuerySet) -> list[SortKey]:
    """The queryset's ordering as sort keys, made total with the primary key when it does
    not end on it already."""
    meta = queryset.model._meta
    ordering = queryset.query.order_by or meta.ordering
    keys: list[SortKey] = []
    for item in ordering:
        if isinstance(item, str):
            descending = item.startswith("-")
            name = item.removeprefix("-")
            nulls_first = descending  # PostgreSQL's default
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            descending = item.descending
            name = item.expression.name
            if item.nulls_first:
                nulls_first = True
            elif item.nulls_last:
                nulls_first = False
            else:
                nulls_first = descending
        else:
            raise ImproperlyConfigured(f"keyset pagination cannot seek on {item!r}")
        field = meta.pk if name == "pk" else meta.get_field(name)
        if not field.concrete or field.many_to_many or "__" in name:
            raise ImproperlyConfigured(f"keyset pagination needs a column, not {name!r}")
        keys.append(SortKey(field, descending, nulls_first))
    if not any(key.field == meta.pk for key in keys):
        keys.append(SortKey(meta.pk, descending=False, nulls_first=False))
    return keys


def signature(keys: Sequence[SortKey]) -> str:
    return ",".join(key.label for key in keys)


def row_position(keys: Sequence[SortKey], row: Model) -> list[Any]:
    return [getattr(row, key.name) for key in keys]


def seek_after(keys: Sequence[SortKey], position: Sequence[Any]) -> Q:
    """Rows strictly after ``position`` in the order of ``keys`` (lexicographic)."""
    alternatives: list[Q] = []
    prefix = Q()
    for key, value in zip(keys, position, strict=True):
        after = key.after(value)
        if after is not None:
            alternatives.append(prefix & after)
        prefix &= key.equal(value)
    if not alternatives:
        return Q(pk__in=[])
    either = alternatives[0]
    for alternative in alternatives[1:]:
        either |= alternative
    # the redundant bound on the first column lets the index scan start at the position
    # instead of filtering every row before it
    return keys[0].at_or_after(position[0]) & either


def seek(queryset: QuerySet, keys: Sequence[SortKey], position: Sequence[Any] | None) -> QuerySet:
    """``queryset`` ordered by ``keys`` from just after ``position`` (the start if None)."""
    ordered = queryset.order_by(*(key.order_by() for key in keys))
    return ordered if position is None else ordered.filter(seek_after(keys, position))


# --------------------------------------------------------------------------- cursor text


@dataclass(frozen=True)
class Cursor:
    direction: str  # NEXT: rows after position; PREVIOUS: rows before it
    position: list[Any] | None  # None: from the end (PREVIOUS only), i.e. the last page


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode_value(key: SortKey, raw: Any) -> Any:
    if raw is None:
        if not key.field.null:
            raise InvalidCursor("a position value is missing")
        return None
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise InvalidCursor("a position value has the wrong type")
    try:
        value = key.field.to_python(raw)
        key.field.run_validators(value)
    except (ValidationError, TypeError, ValueError, ArithmeticError):
        raise InvalidCursor("a position value is out of range") from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidCursor("a position value is not a number")
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise InvalidCursor("a position time has no offset")
        try:
            value = to_utc(value)
        except ValidationError:
            raise InvalidCursor("a position time is out of range") from None
    return value


def cursor_encode(keys: Sequence[SortKey], cursor: Cursor) -> str:
    payload = {
        "d": cursor.direction,
        "k": signature(keys),
        "p": None
        if cursor.position is None
        else [_encode_value(value) for value in cursor.position],
    }
    text = json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(keys: Sequence[SortKey], text: str) -> Cursor:
    """The cursor in ``text``; ``InvalidCursor`` unless this ordering wrote it."""
    if not text or len(text) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("the cursor is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor("the cursor is not one this list returned") from None
    if not isinstance(payload, dict) or set(payload) != {"d", "k", "p"}:
        raise InvalidCursor("the cursor is not one this list returned")
    if payload["d"] not in (NEXT, PREVIOUS):
        raise InvalidCursor("the cursor is not one this list returned")
    if payload["k"] != signature(keys):
        raise InvalidCursor("the cursor belongs to another ordering")
    position = payload["p"]
    if position is None and payload["d"] == PREVIOUS:
        return Cursor(PREVIOUS, None)
    if not isinstance(position, list) or len(position) != len(keys):
        raise InvalidCursor("the cursor is not one this list returned")
    return Cursor(
        payload["d"], [_decode_value(key, raw) for key, raw in zip(keys, position, strict=True)]
    )
