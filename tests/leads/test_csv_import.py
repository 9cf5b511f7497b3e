from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revo.audit.models import StateTransition
from revo.core.exceptions import InvalidInput
from revo.leads.csv_import import leads_import_csv
from revo.leads.models import Lead, LeadStatus
from revo.leads.services import lead_score_set, lead_transition
from tests.leads.factories import LeadFactory


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_plain_file_creates_leads_with_mapped_fields_and_audit(tenant, sdr):
    data = csv_bytes(
        "Email,First Name,Last Name,Company,Job Title,Website,Phone,Country",
        "Ada@Example.com,Ada,Lovelace,Analytical Engines,CTO,ae.example,+44 1,GB",
        "grace@example.com,Grace,Hopper,Navy,Admiral,,,us",
    )

    report = leads_import_csv(file=data, source="conference", by=sdr)

    assert report.summary() == "2 rows: 2 created, 0 updated, 0 skipped, 0 errors"
    ada = Lead.objects.get(email="ada@example.com")
    assert (ada.first_name, ada.last_name, ada.company, ada.title) == (
        "Ada",
        "Lovelace",
        "Analytical Engines",
        "CTO",
    )
    assert (ada.website, ada.phone, ada.country, ada.source) == (
        "ae.example",
        "+44 1",
        "GB",
        "conference",
    )
    assert ada.status == LeadStatus.NEW
    assert [r.row for r in report.created] == [2, 3]
    audit = StateTransition.objects.filter(object_id=str(ada.pk), transition="create").get()
    assert (audit.to_state, audit.by_user, audit.reason) == ("new", sdr, "CSV import")


@pytest.mark.parametrize(
    ("header", "row"),
    [
        (
            "Email,First Name,Last Name,Company Name,Job Title,Phone Number,Country/Region",
            "ada@example.com,Ada,Lovelace,AE Ltd,CTO,+44 1,United Kingdom",
        ),
        (
            "Email,FirstName,LastName,Account Name,Title,Mobile,Mailing Country",
            "ada@example.com,Ada,Lovelace,AE Ltd,CTO,+44 1,GB",
        ),
        (
            "Person - Name,Person - Email,Organization - Name,Person - Phone,Country",
            "Ada Lovelace,ada@example.com,AE Ltd,+44 1,GB",
        ),
        (
            "First Name,Last Name,Email Address,Company,Position,Company Website",
            "Ada,Lovelace,ada@example.com,AE Ltd,CTO,ae.example",
        ),
        (
            "email_address,full_name,company_name,job_title",
            "ada@example.com,Ada Lovelace,AE Ltd,CTO",
        ),
        ("E-mail Address,Name,Company", 'ada@example.com,"Lovelace, Ada",AE Ltd'),
    ],
    ids=["hubspot", "salesforce", "pipedrive", "linkedin", "snake-case", "outlook-last-first"],
)
def test_headers_of_common_crm_exports_are_recognised(tenant, header, row):
    report = leads_import_csv(file=csv_bytes(header, row))

    assert len(report.created) == 1
    ada = Lead.objects.get(email="ada@example.com")
    assert (ada.first_name, ada.last_name, ada.company) == ("Ada", "Lovelace", "AE Ltd")


def test_utf8_bom_is_ignored(tenant):
    data = b"\xef\xbb\xbf" + csv_bytes("Email,First Name", "jose@example.com,José")

    report = leads_import_csv(file=data)

    assert report.encoding == "utf-8"
    assert Lead.objects.get(email="jose@example.com").first_name == "José"


def test_semicolon_delimited_file_is_read(tenant):
    data = csv_bytes(
        "E-Mail;Vorname;Firma;Land;Lieblingsfarbe", "max@example.de;Max;Muster, GmbH;DE;blau"
    )

    report = leads_import_csv(file=data)

    assert report.delimiter == ";"
    lead = Lead.objects.get(email="max@example.de")
    assert (lead.first_name, lead.company, lead.country) == ("Max", "Muster, GmbH", "DE")
    assert report.ignored_columns == ["Lieblingsfarbe"]


def test_excel_sep_line_declares_the_delimiter(tenant):
    data = csv_bytes("sep=;", "Email;Company", "a@example.com;A, B and C", "bad;X")

    report = leads_import_csv(file=data)

    assert Lead.objects.get().company == "A, B and C"
    assert [e.row for e in report.errors] == [3]


def test_cp1252_file_is_read_with_a_warning(tenant):
    data = csv_bytes("Email;Last Name", "jm@example.fr;Müller", encoding="cp1252")

    report = leads_import_csv(file=data)

    assert report.encoding == "cp1252"
    assert "Windows-1252" in report.warnings[0]
    assert Lead.objects.get(email="jm@example.fr").last_name == "Müller"


def test_quoted_newlines_stay_in_the_field_and_row_numbers_count_records(tenant):
    data = csv_bytes(
        "Email,Notes",
        'a@example.com,"line one',
        'line two"',
        "not-an-email,x",
    )

    report = leads_import_csv(file=data)

    assert Lead.objects.get(email="a@example.com").notes == "line one\r\nline two"
    assert [(e.row, e.reason) for e in report.errors] == [
        (3, "'not-an-email' is not a valid email address")
    ]


def test_text_and_binary_streams_are_accepted(tenant):
    leads_import_csv(file=io.StringIO("Email\na@example.com\n"))
    leads_import_csv(file=io.BytesIO(b"Email\nb@example.com\n"))

    assert set(Lead.objects.values_list("email", flat=True)) == {"a@example.com", "b@example.com"}


def test_duplicate_email_in_the_file_is_reported_not_duplicated(tenant):
    data = csv_bytes("Email,First Name", "ada@example.com,Ada", "ADA@example.com,Augusta")

    report = leads_import_csv(file=data)

    assert Lead.objects.filter(email="ada@example.com").count() == 1
    assert Lead.objects.get().first_name == "Ada"
    assert [(s.row, s.reason) for s in report.skipped] == [(3, "duplicate of row 2 in this file")]


def test_existing_email_is_skipped_by_default(tenant):
    lead = LeadFactory(email="ada@example.com", company="Old Co")

    report = leads_import_csv(file=csv_bytes("Email,Company", "Ada@example.com,New Co"))

    assert Lead.objects.get(pk=lead.pk).company == "Old Co"
    assert [(s.row, s.lead_id) for s in report.skipped] == [(2, lead.pk)]
    assert Lead.objects.count() == 1


def test_existing_email_is_updated_with_non_blank_values_only(tenant):
    lead = LeadFactory(email="ada@example.com", company="Old Co", title="CTO", country="GB")
    lead = lead_transition(lead=lead, transition="contact")
    lead_score_set(lead=lead, score=70)

    report = leads_import_csv(
        file=csv_bytes("Email,Company,Title,Country", "ada@example.com,New Co,,fr"),
        on_existing="update",
    )

    lead.refresh_from_db()
    assert (lead.company, lead.title, lead.country) == ("New Co", "CTO", "FR")
    assert (lead.status, lead.score) == (LeadStatus.CONTACTED, 70)
    assert [(u.row, u.reason) for u in report.updated] == [(2, "company, country")]
    assert Lead.objects.count() == 1


def test_update_with_nothing_new_is_reported_as_skipped(tenant):
    LeadFactory(email="ada@example.com", company="Same Co")

    report = leads_import_csv(
        file=csv_bytes("Email,Company", "ada@example.com,Same Co"), on_existing="update"
    )

    assert report.updated == []
    assert report.skipped[0].reason == "a lead with this email exists; nothing changed"


def test_bad_rows_are_reported_with_row_numbers_and_good_rows_import(tenant):
    data = csv_bytes(
        "Email,First Name,Country",
        "good1@example.com,Ada,DE",
        "broken,Bob,DE",
        ",Nobody,DE",
        "good2@example.com,Cy,Atlantis",
        "good3@example.com," + "x" * 101 + ",DE",
        "good4@example.com,Di,DE,surplus",
        "",
        "good5@example.com,Ed,",
    )

    report = leads_import_csv(file=data)

    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "good1@example.com",
        "good5@example.com",
    ]
    assert [(e.row, e.reason) for e in report.errors] == [
        (3, "'broken' is not a valid email address"),
        (4, "email is required"),
        (5, "'Atlantis' is not an ISO 3166 alpha-2 country code"),
        (6, "first_name is longer than 100 characters"),
        (7, "row has 4 fields but the header has 3"),
    ]
    assert [c.row for c in report.created] == [2, 9]


def test_short_row_without_the_email_cell_is_an_error(tenant):
    data = csv_bytes("First Name,Company,Email", "Ada,AE", "Bob,B,bob@example.com")

    report = leads_import_csv(file=data)

    assert [(e.row, e.reason) for e in report.errors] == [(2, "email is required")]
    assert list(Lead.objects.values_list("email", flat=True)) == ["bob@example.com"]


def test_lead_source_column_wins_over_the_default_source(tenant):
    data = csv_bytes("Email,Lead Source", "a@example.com,webinar", "b@example.com,")

    leads_import_csv(file=data, source="upload")

    assert dict(Lead.objects.values_list("email", "source")) == {
        "a@example.com": "webinar",
        "b@example.com": "upload",
    }


def test_single_column_of_emails_is_accepted(tenant):
    report = leads_import_csv(file=csv_bytes("Email", "a@example.com", "b@example.com"))

    assert len(report.created) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (csv_bytes("First Name,Company", "Ada,AE"), "no email column found"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a CSV file"),
        (b"Email\n\x81\x8d\x8f\xff\xfe\n", "not decodable"),
        (b"Dear customer\nplease find attached our offer\n", "one column"),
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
    ],
    ids=["no-email-column", "binary", "undecodable", "prose", "empty", "blank-lines"],
)
def test_refused_file_writes_nothing(tenant, data, message):
    LeadFactory(email="existing@example.com")

    with pytest.raises(InvalidInput, match=message):
        leads_import_csv(file=data, on_existing="update")

    assert list(Lead.objects.values_list("email", flat=True)) == ["existing@example.com"]
    assert StateTransition.objects.count() == 1


def test_unknown_on_existing_option_is_refused(tenant):
    with pytest.raises(InvalidInput):
        leads_import_csv(file=csv_bytes("Email", "a@example.com"), on_existing="merge")

    assert not Lead.objects.exists()


def test_ten_thousand_rows_import_with_a_constant_number_of_queries_per_batch(tenant):
    LeadFactory(email="lead5000@example.com")
    rows = [f"lead{i}@example.com,First{i},Last{i},Company {i % 50},DE" for i in range(10_000)]
    data = csv_bytes("Email,First Name,Last Name,Company,Country", *rows)

    with CaptureQueriesContext(connection) as queries:
        report = leads_import_csv(file=data, on_existing="update")

    # Per 1,000-row batch: one lookup, one insert of leads, one insert of audit rows.
    statements = [q["sql"] for q in queries if not q["sql"].startswith("SET search_path")]
    assert len(statements) <= 3 * 10 + 6

    assert report.summary() == "10000 rows: 9999 created, 1 updated, 0 skipped, 0 errors"
    assert Lead.objects.count() == 10_000
    assert StateTransition.objects.filter(transition="create").count() == 10_000
