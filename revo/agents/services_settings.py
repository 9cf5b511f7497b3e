"""Changing the tenant's agent settings (``AgentSettings``, one row per tenant schema): each
field is checked and normalised, then the change is saved and audited in one transaction.
The admin page and the API both go through ``agent_settings_update``; the admin form shows
``agent_settings_check``'s errors next to their fields."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from revo.accounts.models import User
from revo.agents.lock_objects import agent_settings_for_update
from revo.agents.models import AgentSettings
from revo.agents.scoring import CRITERIA
from revo.audit.models import StateTransition
from revo.contracts.models import PriceListItem
from revo.core.exceptions import InvalidInput
from revo.leads.countries import country_code
from revo.leads.facts import COMPANY_SIZE_MAX, FactError, normalize_industry

#: Fields a person may change (everything but the row's identity and timestamps).
EDITABLE_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in AgentSettings._meta.concrete_fields
    if f.name not in ("id", "singleton", "created_at", "updated_at")
)

#: Whole-number fields → (lowest, highest) allowed.
_BOUNDS: dict[str, tuple[int, int]] = {
    "min_company_size": (1, COMPANY_SIZE_MAX - 1),
    "max_company_size": (1, COMPANY_SIZE_MAX - 1),
    "model_weight_pct": (0, 100),
    "follow_up_after_days": (1, 365),
    "max_follow_ups": (0, 10),
    "contract_term_months": (1, 120),
}
_MAX_QUANTITY = 100_000
_SOURCE_MAX_LENGTH = 100


class _Invalid(ValueError):
    pass


def _whole(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _Invalid(f"{name} must be a whole number")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise _Invalid(f"{name} must be a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise _Invalid(f"{name} must be a whole number")
    if not low <= number <= high:
        raise _Invalid(f"{name} must be between {low} and {high}")
    return int(number)


def _text(name: str) -> Callable[[Any], str]:
    field = AgentSettings._meta.get_field(name)

    def clean(value: Any) -> str:
        if not isinstance(value, str):
            raise _Invalid(f"{name} must be text")
        value = value.strip()
        if not value and not field.blank:
            raise _Invalid(f"{name} is required")
        if field.max_length and len(value) > field.max_length:
            raise _Invalid(f"{name} is longer than {field.max_length} characters")
        return value

    return clean


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _Invalid(f"{name} must be a list")
    return list(value)


def _industries(value: Any) -> list[str]:
    cleaned: list[str] = []
    for entry in _list(value, "target_industries"):
        if not isinstance(entry, str):
            raise _Invalid("target_industries must be a list of industry names")
        try:
            industry = normalize_industry(entry)
        except FactError as exc:
            raise _Invalid(f"target_industries: {exc}") from None
        if industry and industry not in cleaned:
            cleaned.append(industry)
    return cleaned


def _countries(value: Any) -> list[str]:
    cleaned: list[str] = []
    for entry in _list(value, "target_countries"):
        code = country_code(entry) if isinstance(entry, str) else None
        if not code:
            raise _Invalid(f"target_countries: {entry!r} is not an ISO 3166 alpha-2 country code")
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


def _weights(value: Any) -> dict[str, int | float]:
    if not isinstance(value, dict):
        raise _Invalid("scoring_weights must be an object of criterion → weight")
    keys = set(value)
    if keys != set(CRITERIA):
        missing, unknown = set(CRITERIA) - keys, keys - set(CRITERIA)
        parts = [f"missing {', '.join(sorted(missing))}"] if missing else []
        parts += [f"unknown {', '.join(sorted(map(str, unknown)))}"] if unknown else []
        raise _Invalid(f"scoring_weights needs exactly {', '.join(CRITERIA)} ({'; '.join(parts)})")
    cleaned: dict[str, int | float] = {}
    for name in CRITERIA:
        weight = value[name]
        if isinstance(weight, bool) or not isinstance(weight, int | float | Decimal):
            raise _Invalid(f"scoring_weights: {name} must be a number")
        number = float(weight)
        if not math.isfinite(number) or number < 0:
            raise _Invalid(f"scoring_weights: {name} must be a number from 0")
        cleaned[name] = int(number) if number.is_integer() else number
    if not any(cleaned.values()):
        raise _Invalid("scoring_weights: at least one weight must be above 0")
    return cleaned


def _source_scores(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise _Invalid("source_scores must be an object of lead source → score")
    cleaned: dict[str, int] = {}
    for raw_key, score in value.items():
        key = " ".join(str(raw_key).split()).lower()
        if not key or "\x00" in key:
            raise _Invalid("source_scores: a lead source is blank or unreadable")
        if len(key) > _SOURCE_MAX_LENGTH:
            raise _Invalid(f"source_scores: {key[:20]!r}… is longer than 100 characters")
        if key in cleaned:
            raise _Invalid(f"source_scores: {key!r} is given twice")
        cleaned[key] = _whole(score, f"source_scores: {key!r}", 0, 100)
    return cleaned


def _offer_package(value: Any) -> list[dict[str, Any]]:
    entries = _list(value, "offer_package")
    wanted: list[tuple[str, int]] = []
    for entry in entries:
        if not isinstance(entry, dict) or not set(entry) <= {"sku", "quantity"}:
            raise _Invalid('offer_package entries look like {"sku": "...", "quantity": 1}')
        sku = entry.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            raise _Invalid("offer_package: every entry needs a sku")
        quantity = _whole(
            entry.get("quantity", 1), f"offer_package: {sku} quantity", 1, _MAX_QUANTITY
        )
        wanted.append((sku.strip(), quantity))
    skus = [sku.lower() for sku, _ in wanted]
    if len(set(skus)) != len(skus):
        raise _Invalid("offer_package: a sku is listed twice")
    listed = {
        item.sku.lower(): item.sku for item in PriceListItem.objects.filter(active=True).only("sku")
    }
    unknown = [sku for sku, _ in wanted if sku.lower() not in listed]
    if unknown:
        raise _Invalid(f"offer_package: {', '.join(unknown)} not on the active price list")
    return [{"sku": listed[sku.lower()], "quantity": quantity} for sku, quantity in wanted]


def _bounded(name: str) -> Callable[[Any], int]:
    low, high = _BOUNDS[name]
    return lambda value: _whole(value, name, low, high)


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "target_industries": _industries,
    "target_countries": _countries,
    "scoring_weights": _weights,
    "source_scores": _source_scores,
    "offer_package": _offer_package,
    **{name: _bounded(name) for name in _BOUNDS},
}


def agent_settings_check(
    *, current: AgentSettings, changes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The changes normalised, and the errors by field (unknown fields included); the
    company size range is checked against ``current`` for the side not being changed."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            errors[name] = f"{name} is not an agent setting that can be changed"
            continue
        clean = _CLEANERS.get(name) or _text(name)
        try:
            cleaned[name] = clean(value)
        except _Invalid as exc:
            errors[name] = str(exc)
    low = cleaned.get("min_company_size", current.min_company_size)
    high = cleaned.get("max_company_size", current.max_company_size)
    if not {"min_company_size", "max_company_size"} & set(errors) and low > high:
        side = "max_company_size" if "max_company_size" in changes else "min_company_size"
        errors[side] = f"min_company_size ({low}) must not exceed max_company_size ({high})"
    return cleaned, errors


@transaction.atomic
def agent_settings_update(*, by: User | None, reason: str = "", **changes: Any) -> AgentSettings:
    """Change agent settings; invalid values are refused with ``InvalidInput`` (details:
    message by field) and nothing is saved. The row is created with defaults when the
    tenant has none. Changed fields are audited with their old and new values."""
    settings = agent_settings_for_update()
    cleaned, errors = agent_settings_check(current=settings, changes=changes)
    if errors:
        raise InvalidInput("; ".join(errors.values()), details=errors)
    diff = {
        name: {"from": getattr(settings, name), "to": value}
        for name, value in cleaned.items()
        if getattr(settings, name) != value
    }
    if not diff:
        return settings
    for name, value in cleaned.items():
        setattr(settings, name, value)
    settings.save(update_fields=[*diff, "updated_at"])
    StateTransition.objects.create(
        content_type=ContentType.objects.get_for_model(AgentSettings),
        object_id=str(settings.pk),
        field="settings",
        transition="update",
        from_state="",
        to_state="",
        by_user=by if getattr(by, "pk", None) else None,
        reason=reason or f"changed {', '.join(diff)}",
        data={"changes": diff},
    )
    return settings
