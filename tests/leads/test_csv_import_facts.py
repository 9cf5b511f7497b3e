"""The CSV import's industry and company size columns."""

from __future__ import annotations

import pytest

from revo.leads.csv_export import leads_csv_lines
from revo.leads.csv_import import leads_import_csv
from revo.leads.models import Lead
from tests.leads.factories import LeadFactory
from tests.leads.test_csv_import import csv_bytes


@pytest.mark.parametrize(
    ("industry_header", "size_header"),
    [
        ("Industry", "Company Size"),
        ("Sector", "Employees"),
        ("Company Industry", "Headcount"),
        ("industry", "Number of Employees"),
        ("Vertical", "# Employees"),
    ],
    ids=["plain", "sector-employees", "hubspot-style", "salesforce-style", "hash-employees"],
)
def test_industry_and_size_columns_are_recognised(tenant, industry_header, size_header):
    data = csv_bytes(f"Email,{industry_header},{size_header}", "ada@example.com,SaaS,1200")

    report = leads_import_csv(file=data)

    assert report.columns == {
        "Email": "email",
        industry_header: "industry",
        size_header: "company_size",
    }
    lead = Lead.objects.get()
    assert (lead.industry, lead.company_size) == ("saas", 1200)


def test_sizes_are_parsed_and_bad_ones_are_reported_per_row(tenant):
    data = csv_bytes(
        "Email,Industry,Employees",
        'a@example.com,Software,"1,200"',
        "b@example.com,Fintech,1.2k",
        "c@example.com,Retail,250+",
        "d@example.com,Retail,a few",
        "e@example.com,,",
        "f@example.com,Retail,0",
    )

    report = leads_import_csv(file=data)

    assert report.summary() == "6 rows: 4 created, 0 updated, 0 skipped, 2 errors"
    sizes = dict(Lead.objects.values_list("email", "company_size"))
    assert sizes == {
        "a@example.com": 1200,
        "b@example.com": 1200,
        "c@example.com": 250,
        "e@example.com": None,
    }
    errors = {r.row: (r.email, r.reason) for r in report.errors}
    assert errors[5][0] == "d@example.com"
    assert "'a few' is not a company size" in errors[5][1]
    assert errors[7] == ("f@example.com", "company size must be at least 1 employee")


def test_update_fills_in_the_facts_of_existing_leads(tenant):
    lead = LeadFactory(email="ada@example.com", industry="", company_size=None)
    same = LeadFactory(email="grace@example.com", industry="software", company_size=40)
    data = csv_bytes(
        "Email,Industry,Headcount",
        "ada@example.com,Data Analytics,2.5k",
        "grace@example.com,,",
    )

    report = leads_import_csv(file=data, on_existing="update")

    assert [(r.email, r.reason) for r in report.updated] == [
        ("ada@example.com", "industry, company_size")
    ]
    lead.refresh_from_db()
    same.refresh_from_db()
    assert (lead.industry, lead.company_size) == ("data analytics", 2500)
    assert (same.industry, same.company_size) == ("software", 40)


def test_an_exported_file_imports_back_with_its_facts(tenant):
    LeadFactory(email="ada@example.com", industry="logistics software", company_size=85)
    exported = "".join(leads_csv_lines(Lead.objects.all())).encode()
    Lead.objects.all().delete()

    leads_import_csv(file=exported)

    lead = Lead.objects.get()
    assert (lead.industry, lead.company_size) == ("logistics software", 85)
