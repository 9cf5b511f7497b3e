"""Deterministic checks run on every parsed model answer.

They do not trust the model to obey its instructions: whatever the prompt said, an answer
that carries a placeholder, a link outside the allow-list, an email address other than the
permitted recipient, an amount or discount outside the pricing policy, or an empty required
field is rejected with a finding the model is shown when it is asked again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Finding:
    code: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path or '(answer)'}: {self.message}"


@dataclass(frozen=True)
class OutputPolicy:
    """What an answer may contain, assembled by code (never by the model) for one call."""

    allowed_url_hosts: frozenset[str] = frozenset()
    permitted_emails: frozenset[str] = frozenset()
    max_discount_pct: Decimal = Decimal(0)
    floor_price: Decimal | None = None
    list_prices: dict[str, Decimal] = field(default_factory=dict)
    allowed_amounts: frozenset[Decimal] = frozenset()
    has_pricing: bool = False


PLACEHOLDER_PATTERNS = (
    re.compile(r"\{\{|\}\}|\{%|%\}"),  # template syntax left in
    re.compile(r"\[(?:[A-Z][A-Za-z]*)(?:[ _-][A-Za-z]+)*\]"),  # [Name], [Company Name]
    re.compile(r"<[A-Z][A-Z0-9_]{2,}>"),  # <FIRST_NAME>
    re.compile(r"\{[a-z_]+\}"),  # {first_name}
    re.compile(r"\b(?:XXX+|TODO|TBD|INSERT [A-Z ]+)\b"),
    re.compile(r"\bLorem ipsum\b", re.IGNORECASE),
)
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
BARE_DOMAIN_LINK_RE = re.compile(
    r"\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|biz|info|example|xyz|ru|cn|de|uk)/[^\s<>\"')\]]*",
    re.IGNORECASE,
)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_NUMBER = r"\d{1,3}(?:[,.\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
MONEY_RE = re.compile(
    rf"(?:(?:€|\$|£|\b(?:EUR|USD|GBP|CHF)\s?)\s?(?P<a>{_NUMBER}))"
    rf"|(?:(?P<b>{_NUMBER})\s?(?:€|\$|£|(?:EUR|USD|GBP|CHF)\b|euros?\b|dollars?\b))",
    re.IGNORECASE,
)
PERCENT_RE = re.compile(r"(?P<n>\d{1,3}(?:[.,]\d+)?)\s?(?:%|percent\b|per cent\b)", re.IGNORECASE)
DISCOUNT_WORDS = re.compile(
    r"discount|\boff\b|rebate|reduction|reduced|markdown|cheaper|savings?|rabatt|coupon|promo",
    re.IGNORECASE,
)


def string_leaves(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from string_leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from string_leaves(value, f"{path}[{index}]")


def resolve(data: Any, path: str) -> list[tuple[str, Any]]:
    """Values at a dotted path; ``items[].price`` visits every item. Missing → []."""
    current: list[tuple[str, Any]] = [("", data)]
    for part in path.split("."):
        each = part.endswith("[]")
        name = part[:-2] if each else part
        found: list[tuple[str, Any]] = []
        for where, value in current:
            if not isinstance(value, dict) or name not in value:
                continue
            here = f"{where}.{name}" if where else name
            child = value[name]
            if each:
                if isinstance(child, list):
                    found.extend((f"{here}[{i}]", item) for i, item in enumerate(child))
            else:
                found.append((here, child))
        current = found
    return current


def parse_amount(raw: str) -> Decimal | None:
    text = raw.replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        text = text.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = text.replace(",", "") if len(tail) == 3 else f"{head.replace(',', '')}.{tail}"
    elif text.count(".") > 1 or (text.count(".") == 1 and len(text.rpartition(".")[2]) == 3):
        text = text.replace(".", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        return parse_amount(value)
    return None


def _host_allowed(host: str, allowed: frozenset[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == item or host.endswith(f".{item}") for item in allowed)


def _url_host(url: str) -> str:
    if url.lower().startswith("www."):
        url = f"http://{url}"
    if "://" not in url:
        url = f"http://{url}"
    return (urlsplit(url).hostname or "").lower()


def check_placeholders(data: Any) -> list[Finding]:
    findings = []
    for path, text in string_leaves(data):
        for pattern in PLACEHOLDER_PATTERNS:
            match = pattern.search(text)
            if match:
                findings.append(
                    Finding("placeholder", path, f"unfilled placeholder {match.group()!r}")
                )
                break
    return findings


def check_links(data: Any, policy: OutputPolicy) -> list[Finding]:
    findings = []
    for path, text in string_leaves(data):
        for match in [*URL_RE.finditer(text), *BARE_DOMAIN_LINK_RE.finditer(text)]:
            host = _url_host(match.group())
            if not _host_allowed(host, policy.allowed_url_hosts):
                findings.append(
                    Finding(
                        "url_not_allowed", path, f"link to {host or match.group()!r} is not allowed"
                    )
                )
    return _unique(findings)


def check_emails(data: Any, policy: OutputPolicy) -> list[Finding]:
    permitted = {item.lower() for item in policy.permitted_emails}
    return _unique(
        [
            Finding(
                "email_not_permitted", path, f"email address {match.group()!r} is not permitted"
            )
            for path, text in string_leaves(data)
            for match in EMAIL_RE.finditer(text)
            if match.group().lower().rstrip(".") not in permitted
        ]
    )


def _amount_finding(path: str, amount: Decimal, policy: OutputPolicy) -> Finding | None:
    if amount in policy.allowed_amounts:
        return None
    if not policy.has_pricing:
        return Finding(
            "amount_not_allowed", path, f"amount {amount} was not given by the pricing data"
        )
    if policy.floor_price is not None and amount < policy.floor_price:
        return Finding(
            "price_below_floor",
            path,
            f"amount {amount} is below the floor price {policy.floor_price}",
        )
    if policy.list_prices:
        lowest = min(policy.list_prices.values()) * (1 - policy.max_discount_pct / 100)
        if amount < lowest:
            return Finding(
                "price_below_policy",
                path,
                f"amount {amount} implies a discount beyond {policy.max_discount_pct}%",
            )
    return None


def _discount_finding(path: str, pct: Decimal, policy: OutputPolicy) -> Finding | None:
    if pct > policy.max_discount_pct:
        return Finding(
            "discount_exceeds_policy",
            path,
            f"discount {pct}% exceeds the allowed {policy.max_discount_pct}%",
        )
    return None


def check_money_text(data: Any, policy: OutputPolicy) -> list[Finding]:
    """Amounts and discounts written in free text."""
    findings: list[Finding | None] = []
    for path, text in string_leaves(data):
        for match in MONEY_RE.finditer(text):
            amount = parse_amount(match.group("a") or match.group("b"))
            if amount is not None:
                findings.append(_amount_finding(path, amount, policy))
        for match in PERCENT_RE.finditer(text):
            window = text[max(0, match.start() - 60) : match.end() + 60]
            pct = parse_amount(match.group("n"))
            if pct is not None and DISCOUNT_WORDS.search(window):
                findings.append(_discount_finding(path, pct, policy))
    return _unique([item for item in findings if item is not None])


def check_money_fields(data: Any, policy: OutputPolicy, config: dict[str, Any]) -> list[Finding]:
    """Structured fields the prompt declares as prices or discounts."""
    findings: list[Finding | None] = []
    for field_path in config.get("price_fields", []):
        for path, value in resolve(data, field_path):
            amount = _as_decimal(value)
            if amount is not None:
                findings.append(_amount_finding(path, amount, policy))
    for field_path in config.get("discount_fields", []):
        for path, value in resolve(data, field_path):
            pct = _as_decimal(value)
            if pct is not None:
                findings.append(_discount_finding(path, pct, policy))
    return _unique([item for item in findings if item is not None])


def check_structured(data: Any, policy: OutputPolicy, config: dict[str, Any]) -> list[Finding]:
    findings = []
    for field_path in config.get("required", []):
        values = resolve(data, field_path)
        if not values or any(_is_empty(value) for _, value in values):
            findings.append(Finding("required", field_path, "is required and must not be empty"))
    for field_path, limit in (config.get("max_length") or {}).items():
        for path, value in resolve(data, field_path):
            if isinstance(value, str) and len(value) > int(limit):
                findings.append(
                    Finding("max_length", path, f"is {len(value)} characters long; max {limit}")
                )
    for field_path in config.get("email_fields", []):
        for path, value in resolve(data, field_path):
            if value and str(value).lower() not in {e.lower() for e in policy.permitted_emails}:
                findings.append(
                    Finding(
                        "email_not_permitted", path, f"{value!r} is not the permitted recipient"
                    )
                )
    for field_path in config.get("url_fields", []):
        for path, value in resolve(data, field_path):
            if value and not _host_allowed(_url_host(str(value)), policy.allowed_url_hosts):
                findings.append(Finding("url_not_allowed", path, f"{value!r} is not allowed"))
    for field_path in config.get("date_fields", []):
        for path, value in resolve(data, field_path):
            if value is not None and not _is_iso_date(value):
                findings.append(Finding("date", path, f"{value!r} is not a YYYY-MM-DD date"))
    return findings


def _is_iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _is_empty(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str | list | dict) and not value)
        or (isinstance(value, str) and not value.strip())
    )


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def scanned_text(data: Any, config: dict[str, Any]) -> Any:
    """The part of an answer whose free text is checked for placeholders, links, email
    addresses and amounts: ``scan_fields`` when the prompt names them (analysis prompts
    whose text never leaves the company), otherwise the whole answer."""
    if "scan_fields" not in config:
        return data
    return {
        path: value
        for field_path in config["scan_fields"]
        for path, value in resolve(data, field_path)
    }


def run_validators(data: Any, config: dict[str, Any], policy: OutputPolicy) -> list[Finding]:
    """Every deterministic finding for one parsed answer; empty means it passed."""
    text = scanned_text(data, config)
    return [
        *check_structured(data, policy, config),
        *check_placeholders(text),
        *check_links(text, policy),
        *check_emails(text, policy),
        *check_money_text(text, policy),
        *check_money_fields(data, policy, config),
    ]
