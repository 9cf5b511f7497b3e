"""A lead's company facts, industry and company size: cleaning what people and files give,
and reading them from ``Key: value`` lines of free-text notes (where they were kept before
they were columns, and where older imports still have them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

INDUSTRY_MAX_LENGTH = 100
COMPANY_SIZE_MAX = 10_000_000  # above any company's headcount: a typo or a wrong column


class FactError(ValueError):
    """A value that is not an industry or a company size; the message says why."""


def normalize_industry(value: Any) -> str:
    """An industry as stored: trimmed, inner whitespace collapsed, lower-cased."""
    text = " ".join(("" if value is None else str(value)).split()).lower()
    if len(text) > INDUSTRY_MAX_LENGTH:
        raise FactError(f"industry is longer than {INDUSTRY_MAX_LENGTH} characters")
    return text


# A whole number, optionally with thousands separators ("1,200", "1.200", "1 200", "1'200").
_WHOLE = r"\d{1,3}(?:[,.' ]\d{3})+|\d+"
# A number of thousands, optionally with a decimal part ("1.2k", "1,5k").
_THOUSANDS = r"\d+(?:[.,]\d+)?\s*k"
_AMOUNT = rf"(?:{_THOUSANDS}|{_WHOLE})"
_SIZE = re.compile(
    rf"^(?P<low>{_AMOUNT})\s*(?:(?P<plus>\+)|[-–]\s*(?P<high>{_AMOUNT}))?"
    r"\s*(?:employees|employee|staff|people|fte)?$",
    re.IGNORECASE,
)


def _amount(text: str) -> int:
    text = text.strip().lower()
    if text.endswith("k"):
        return int(Decimal(text[:-1].strip().replace(",", ".")) * 1000)
    return int(re.sub(r"[,.' ]", "", text))


def parse_company_size(value: Any) -> int | None:
    """A company size as stored: ``None`` when blank (unknown), else a whole number of
    employees from 1 up. Accepts ``1200``, ``"1,200"``, ``"1.2k"``, ``"250+"`` (at least
    250) and ranges such as ``"51-200"`` (their lower bound, what is known for sure)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise FactError(f"company size must be a number of employees, not {value!r}")
    if isinstance(value, int):
        size = value
    elif isinstance(value, float | Decimal):
        if value != int(value):
            raise FactError(f"company size must be a whole number of employees, not {value}")
        size = int(value)
    else:
        text = " ".join(str(value).split())
        if not text:
            return None
        match = _SIZE.match(text)
        if match is None:
            raise FactError(
                f"{text!r} is not a company size (use a number of employees such as "
                "250, 1,200, 1.2k or 250+)"
            )
        try:
            size = _amount(match["low"])
            if match["high"] is not None and _amount(match["high"]) < size:
                raise FactError(f"{text!r} is not a company size (the range is reversed)")
        except (InvalidOperation, ValueError) as exc:
            if isinstance(exc, FactError):
                raise
            raise FactError(f"{text!r} is not a company size") from None
    if size < 1:
        raise FactError("company size must be at least 1 employee")
    if size >= COMPANY_SIZE_MAX:
        raise FactError(f"company size must be below {COMPANY_SIZE_MAX:,} employees")
    return size


# -- notes --------------------------------------------------------------------------------------

_NOTE_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z _-]{1,30})\s*:\s*(?P<value>.+?)\s*$", re.M)
NOTE_SIZE_KEYS = frozenset({"employees", "company size", "company_size", "headcount", "size"})
NOTE_INDUSTRY_KEYS = frozenset({"industry", "sector", "vertical"})
_NOTE_NUMBER = re.compile(r"(\d[\d,.' ]*)\s*(k)?", re.I)


@dataclass(frozen=True)
class NoteFacts:
    """What ``Key: value`` lines of a lead's notes say."""

    industry: str = ""
    company_size: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def notes_facts(notes: str) -> NoteFacts:
    """Industry, company size and any other ``Key: value`` lines of free-text notes. The
    first line of each kind wins; a size line that holds no number reads as unknown."""
    industry, size, extra = "", None, {}
    for match in _NOTE_FIELD.finditer(notes or ""):
        key = match["key"].strip().lower()
        value = match["value"].strip()
        if key in NOTE_INDUSTRY_KEYS and not industry:
            industry = " ".join(value.split())[:INDUSTRY_MAX_LENGTH]
        elif key in NOTE_SIZE_KEYS and size is None:
            size = _note_size(value)
        else:
            extra[key] = value[:200]
    return NoteFacts(industry=industry, company_size=size, extra=extra)


def _note_size(value: str) -> int | None:
    """The first number in a note's size line, leniently ("about 1.2k people")."""
    number = _NOTE_NUMBER.search(value)
    if not number:
        return None
    text = number.group(1).strip()
    if number.group(2):  # "1.2k", "1,5k": a decimal number of thousands
        try:
            size = round(float(text.replace(",", ".").replace(" ", "")) * 1000)
        except ValueError:
            return None
    else:
        digits = re.sub(r"[,.' ]", "", text)
        if not digits.isdigit():
            return None
        size = int(digits)
    return size if 1 <= size < COMPANY_SIZE_MAX else None
