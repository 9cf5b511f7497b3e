"""Cleaning and checking lead data, shared by the services and the CSV import."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from revo.leads.countries import country_code
from revo.leads.facts import FactError, normalize_industry, parse_company_size
from revo.leads.models import LawfulBasis, Lead

#: Fields a person or an import may set directly. Status and score move only through
#: their own services.
LEAD_DATA_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "industry",
    "company_size",
    "website",
    "phone",
    "country",
    "source",
    "notes",
    "lawful_basis",
    "consent_note",
)

_MAX_LENGTHS: dict[str, int | None] = {
    name: Lead._meta.get_field(name).max_length for name in LEAD_DATA_FIELDS
}


def normalize_email(value: str) -> str:
    return value.strip().lower()


def email_error(email: str) -> str | None:
    if not email:
        return "email is required"
    if len(email) > (_MAX_LENGTHS["email"] or 254):
        return f"email is longer than {_MAX_LENGTHS['email']} characters"
    try:
        validate_email(email)
    except ValidationError:
        return f"{email!r} is not a valid email address"
    return None


def clean_lead_data(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalise the given lead fields (strip, lowercase email and industry, uppercase
    country codes, company sizes such as ``1.2k`` to numbers) and check them. Returns
    (cleaned values, errors by field); only given fields are returned. Unknown fields are
    an error."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in data.items():
        if name not in LEAD_DATA_FIELDS:
            errors[name] = f"{name} cannot be set here"
            continue
        if name == "company_size":
            try:
                cleaned[name] = parse_company_size(raw)
            except FactError as exc:
                errors[name] = str(exc)
            continue
        value = "" if raw is None else str(raw)
        if name == "industry":
            try:
                value = normalize_industry(value)
            except FactError as exc:
                errors[name] = str(exc)
        elif name == "email":
            value = normalize_email(value)
            problem = email_error(value)
            if problem:
                errors[name] = problem
        elif name == "country":
            code = country_code(value)
            if code is None:
                errors[name] = f"{value.strip()!r} is not an ISO 3166 alpha-2 country code"
            else:
                value = code
        elif name == "lawful_basis":
            value = value.strip().lower() or LawfulBasis.LEGITIMATE_INTEREST
            if value not in LawfulBasis.values:
                errors[name] = f"lawful basis must be one of {', '.join(LawfulBasis.values)}"
        else:
            value = value.strip()
            max_length = _MAX_LENGTHS[name]
            if max_length and len(value) > max_length:
                errors[name] = f"{name} is longer than {max_length} characters"
        cleaned[name] = value
    return cleaned, errors


def format_errors(errors: dict[str, str]) -> str:
    return "; ".join(errors.values())
