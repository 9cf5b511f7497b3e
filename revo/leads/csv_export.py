"""Streaming CSV export of leads. The headers are ones the import recognises, so an
exported file imports back unchanged."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from revo.leads.models import Lead

EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Email", "email"),
    ("First Name", "first_name"),
    ("Last Name", "last_name"),
    ("Company", "company"),
    ("Title", "title"),
    ("Industry", "industry"),
    ("Company Size", "company_size"),
    ("Website", "website"),
    ("Phone", "phone"),
    ("Country", "country"),
    ("Lead Source", "source"),
    ("Status", "status"),
    ("Score", "score"),
    ("Owner", "owner"),
    ("Lawful Basis", "lawful_basis"),
    ("Created", "created_at"),
)
CHUNK_SIZE = 2000

_PHONE_LIKE = re.compile(r"^[+-]?[\d\s().\-/]+$")


def safe_cell(value: object) -> str:
    """The cell's text, defused against spreadsheet formula injection: a value a
    spreadsheet would evaluate gets a leading apostrophe (phone numbers are left alone)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (
        text[:1] in ("+", "-") and not _PHONE_LIKE.match(text)
    ):
        return "'" + text
    return text


def _row(lead: Lead) -> list[str]:
    values = []
    for _, name in EXPORT_COLUMNS:
        if name == "owner":
            value = lead.owner.email if lead.owner_id else ""
        elif name == "created_at":
            value = lead.created_at.isoformat()
        else:
            value = getattr(lead, name)
        values.append(safe_cell(value))
    return values


class _Echo:
    def write(self, value: str) -> str:
        return value


def leads_csv_lines(leads: QuerySet[Lead] | Iterable[Lead]) -> Iterator[str]:
    """The CSV file line by line: the header, then one line per lead, read in chunks."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([header for header, _ in EXPORT_COLUMNS])
    if isinstance(leads, QuerySet):
        leads = leads.select_related("owner").iterator(chunk_size=CHUNK_SIZE)
    for lead in leads:
        yield writer.writerow(_row(lead))
