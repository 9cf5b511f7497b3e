"""Importing leads from CSV exports of common CRMs (HubSpot, Salesforce, Pipedrive,
LinkedIn Sales Navigator, spreadsheets).

The file is read, decoded and checked whole before anything is written: a file that is
not CSV, or has no email column, is refused and nothing is written. Every row is then
validated on its own; the good rows are written in bulk in one transaction and the
report lists each row that was not created (row numbers count the header as row 1, like
a spreadsheet, and count records, not physical lines, so a quoted newline does not shift
them).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Literal

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from revo.accounts.models import User
from revo.audit.models import StateTransition
from revo.core.exceptions import Conflict, InvalidInput
from revo.leads.csv_headers import HEADER_ALIASES
from revo.leads.models import Lead, LeadStatus
from revo.leads.validation import LEAD_DATA_FIELDS, clean_lead_data, format_errors

OnExisting = Literal["update", "skip"]
BATCH_SIZE = 1000
MAX_FILE_BYTES = 50 * 1024 * 1024

_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
# A row's plain fields: the email is the key, the source is read on its own (the row's or
# the import's), the lawful basis and consent note come from the import's options.
_IMPORT_FIELDS = tuple(
    name
    for name in LEAD_DATA_FIELDS
    if name not in {"email", "source", "lawful_basis", "consent_note"}
)


def normalize_header(header: str) -> str:
    return re.sub(r"[\s_\-./]+", "", header.strip().lstrip("\ufeff")).lower()


@dataclass(frozen=True)
class RowResult:
    row: int
    email: str
    reason: str = ""
    lead_id: int | None = None


@dataclass
class ImportReport:
    encoding: str = "utf-8"
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)  # header → lead field
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: list[RowResult] = field(default_factory=list)
    updated: list[RowResult] = field(default_factory=list)
    skipped: list[RowResult] = field(default_factory=list)
    errors: list[RowResult] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.created) + len(self.updated) + len(self.skipped) + len(self.errors)

    def summary(self) -> str:
        return (
            f"{self.rows} rows: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.skipped)} skipped, {len(self.errors)} errors"
        )

    def as_text(self) -> str:
        lines = [self.summary()]
        lines += [f"warning: {w}" for w in self.warnings]
        if self.ignored_columns:
            lines.append(f"ignored columns: {', '.join(self.ignored_columns)}")
        for label, results in (("skipped", self.skipped), ("error", self.errors)):
            lines += [
                f"{label} row {r.row}" + (f" ({r.email})" if r.email else "") + f": {r.reason}"
                for r in results
            ]
        return "\n".join(lines)


@dataclass
class _ParsedRow:
    row: int
    email: str
    values: dict[str, Any]
    source: str = ""


# -- reading and checking the file -------------------------------------------------------------


def _read(file: bytes | str | IO[bytes] | IO[str]) -> tuple[str, str, list[str]]:
    """The file's text, the encoding used and any warnings. Refuses binary files."""
    data = file if isinstance(file, bytes | str) else file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"file refused: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if isinstance(data, str):
        text, encoding, warnings = data, "text", []
    else:
        if b"\x00" in data:
            raise InvalidInput("file refused: it is not a CSV file (it contains binary data)")
        try:
            text, encoding, warnings = data.decode("utf-8-sig"), "utf-8", []
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                raise InvalidInput(
                    "file refused: it is not a CSV file (not decodable as UTF-8 or Windows-1252)"
                ) from None
            warnings = ["the file is not UTF-8; it was read as Windows-1252 (cp1252)"]
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise InvalidInput("file refused: it is not a CSV file (it contains binary data)")
    if not text.strip():
        raise InvalidInput("file refused: it is empty")
    return text, encoding, warnings


def _header_width(line: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return 0


_EXCEL_SEP_LINE = re.compile(r"^sep=([,;])\s*$", re.IGNORECASE)


def _delimiter(text: str) -> tuple[str, str]:
    """(delimiter, text): comma or semicolon, whichever splits the header line into more
    columns; an Excel ``sep=;`` first line decides instead and is removed."""
    text = text.lstrip("\r\n")
    first_line = text.splitlines()[0]
    declared = _EXCEL_SEP_LINE.match(first_line)
    if declared:
        return declared.group(1), text[len(first_line) :].lstrip("\r\n")
    commas, semicolons = _header_width(first_line, ","), _header_width(first_line, ";")
    return (";" if semicolons > commas else ","), text


def _map_headers(headers: list[str]) -> tuple[dict[int, str], list[str], dict[str, str]]:
    """(column index → field, ignored headers, header → field for the report)."""
    by_index: dict[int, str] = {}
    seen: set[str] = set()
    ignored: list[str] = []
    shown: dict[str, str] = {}
    for index, header in enumerate(headers):
        name = _ALIAS_TO_FIELD.get(normalize_header(header))
        if name is None or name in seen:
            if header.strip():
                ignored.append(header.strip())
            continue
        seen.add(name)
        by_index[index] = name
        shown[header.strip()] = name
    return by_index, ignored, shown


def _split_full_name(full: str) -> tuple[str, str]:
    full = " ".join(full.split())
    if "," in full:  # "Lovelace, Ada"
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.partition(" ")
    return first, last


def parse_leads_csv(
    file: bytes | str | IO[bytes] | IO[str],
) -> tuple[ImportReport, list[_ParsedRow]]:
    """Read and validate the whole file without touching the database. Returns the report
    (with error rows and in-file duplicates filled in) and the rows to write."""
    text, encoding, warnings = _read(file)
    delimiter, text = _delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InvalidInput(f"file refused: it is not a readable CSV file ({exc})") from None
    header_at = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if header_at is None:
        raise InvalidInput("file refused: it is empty")
    headers = records[header_at]
    columns, ignored, shown = _map_headers(headers)
    if "email" not in columns.values():
        if len(headers) == 1:
            raise InvalidInput(
                "file refused: it is not a CSV file (one column, no comma or semicolon "
                "delimiter, and no email header)"
            )
        raise InvalidInput(
            "file refused: no email column found (expected a header such as Email, "
            f"E-mail Address or email_address; the headers are: {', '.join(headers)})"
        )
    report = ImportReport(
        encoding=encoding,
        delimiter=delimiter,
        columns=shown,
        ignored_columns=ignored,
        warnings=warnings,
    )
    first_seen: dict[str, int] = {}
    parsed: list[_ParsedRow] = []
    for offset, record in enumerate(records[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(headers) and any(c.strip() for c in record[len(headers) :]):
            report.errors.append(
                RowResult(
                    offset,
                    "",
                    f"row has {len(record)} fields but the header has {len(headers)}",
                )
            )
            continue
        raw = {name: record[i] if i < len(record) else "" for i, name in columns.items()}
        full_name = raw.pop("full_name", "")
        row_source = raw.pop("source", "").strip()
        if full_name.strip() and not raw.get("first_name", "").strip():
            first, last = _split_full_name(full_name)
            raw["first_name"] = first
            if not raw.get("last_name", "").strip():
                raw["last_name"] = last
        cleaned, errors = clean_lead_data(raw)
        email = cleaned.get("email", "")
        if errors:
            report.errors.append(RowResult(offset, email, format_errors(errors)))
            continue
        if email in first_seen:
            report.skipped.append(
                RowResult(offset, email, f"duplicate of row {first_seen[email]} in this file")
            )
            continue
        first_seen[email] = offset
        parsed.append(_ParsedRow(offset, email, cleaned, row_source))
    return report, parsed


# -- writing --------------------------------------------------------------------------------------


def _existing_by_email(emails: list[str]) -> dict[str, Lead]:
    found: dict[str, Lead] = {}
    for start in range(0, len(emails), BATCH_SIZE):
        batch = emails[start : start + BATCH_SIZE]
        rows = (
            Lead.objects.annotate(email_ci=Lower("email"))
            .filter(email_ci__in=batch)
            .select_for_update(of=("self",))
        )
        found.update({lead.email: lead for lead in rows})
    return found


_UPDATED_FIELDS = (*_IMPORT_FIELDS, "source")
_ARRAY_TYPES = {
    "CharField": "text[]",
    "TextField": "text[]",
    "PositiveIntegerField": "integer[]",
}


def _update_leads(leads: list[Lead], *, updated_at: datetime) -> None:
    """Write the import's fields of ``leads`` with one ``UPDATE ... FROM unnest(...)`` per
    batch. ``bulk_update`` builds a CASE expression per field and row, which takes seconds
    to compile and plan for thousands of rows; this stays linear. Only column names and
    array types taken from the model's own metadata are interpolated."""
    quote = connection.ops.quote_name
    fields = [Lead._meta.get_field(name) for name in _UPDATED_FIELDS]
    columns = [quote(f.column) for f in fields]
    arrays = ", ".join(f"%s::{_ARRAY_TYPES[f.get_internal_type()]}" for f in fields)
    assignments = ", ".join(f"{c} = v.{c}" for c in columns)
    sql = (
        f"UPDATE {quote(Lead._meta.db_table)} AS l "  # noqa: S608 - identifiers from _meta
        f"SET {assignments}, {quote('updated_at')} = %s "
        f"FROM unnest(%s::bigint[], {arrays}) "
        f"AS v(id, {', '.join(columns)}) WHERE l.id = v.id"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(leads), BATCH_SIZE):
            batch = leads[start : start + BATCH_SIZE]
            params: list[Any] = [updated_at, [lead.pk for lead in batch]]
            params += [[getattr(lead, name) for lead in batch] for name in _UPDATED_FIELDS]
            cursor.execute(sql, params)


@transaction.atomic
def leads_import_csv(
    *,
    file: bytes | str | IO[bytes] | IO[str],
    on_existing: OnExisting = "skip",
    source: str = "",
    by: User | None = None,
    run_id: uuid.UUID | str | None = None,
) -> ImportReport:
    """Import leads from a CSV file; see the module docstring. ``on_existing`` decides what
    happens to an email that already has a lead: ``update`` fills in the file's non-blank
    values, ``skip`` leaves it alone; it is never duplicated. ``source`` is the default
    source of created leads (a Lead Source column wins where it is filled in)."""
    if on_existing not in ("update", "skip"):
        raise InvalidInput(f"on_existing must be 'update' or 'skip', not {on_existing!r}")
    source = (source or "").strip()
    if len(source) > Lead._meta.get_field("source").max_length:
        raise InvalidInput("source is longer than 100 characters")
    report, rows = parse_leads_csv(file)
    existing = _existing_by_email([r.email for r in rows])
    to_create: list[Lead] = []
    created_rows: list[_ParsedRow] = []
    to_update: dict[int, Lead] = {}
    now = timezone.now()
    for row in rows:
        lead = existing.get(row.email)
        if lead is None:
            values = {k: v for k, v in row.values.items() if k in _IMPORT_FIELDS}
            to_create.append(
                Lead(
                    email=row.email,
                    source=row.source or source,
                    created_at=now,
                    **values,
                )
            )
            created_rows.append(row)
            continue
        if on_existing == "skip":
            report.skipped.append(
                RowResult(row.row, row.email, "a lead with this email exists", lead.pk)
            )
            continue
        changed = [
            name
            for name in _IMPORT_FIELDS
            if row.values.get(name) and getattr(lead, name) != row.values[name]
        ]
        if row.source and lead.source != row.source:
            lead.source = row.source
            changed.append("source")
        if not changed:
            report.skipped.append(
                RowResult(row.row, row.email, "a lead with this email exists; nothing changed")
            )
            continue
        for name in changed:
            if name != "source":
                setattr(lead, name, row.values[name])
        to_update[lead.pk] = lead
        report.updated.append(RowResult(row.row, row.email, ", ".join(changed), lead.pk))
    try:
        with transaction.atomic():
            created = Lead.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
            _update_leads(list(to_update.values()), updated_at=now)
    except IntegrityError:
        raise Conflict(
            "leads were added while the file was imported; nothing was written, import again"
        ) from None
    content_type = ContentType.objects.get_for_model(Lead)
    StateTransition.objects.bulk_create(
        [
            StateTransition(
                content_type=content_type,
                object_id=str(lead.pk),
                field="status",
                transition="create",
                from_state="",
                to_state=LeadStatus.NEW,
                by_user=by if getattr(by, "pk", None) else None,
                by_run_id=run_id,
                reason="CSV import",
                at=now,
            )
            for lead in created
        ],
        batch_size=BATCH_SIZE,
    )
    report.created = [
        RowResult(row.row, row.email, lead_id=lead.pk)
        for row, lead in zip(created_rows, created, strict=True)
    ]
    for results in (report.skipped, report.errors, report.updated):
        results.sort(key=lambda r: r.row)
    return report
