"""A lead's industry and company size through the API: written, shown and filtered on."""

from __future__ import annotations

import pytest

from revo.accounts.roles import Role
from revo.leads.models import Lead
from tests.leads.factories import LeadFactory

LEADS_URL = "/api/v1/leads"


@pytest.fixture
def sdr_headers(user_by_role, auth_header):  # noqa: ANN001, ANN201
    return auth_header(user_by_role(Role.SDR))


def test_create_and_update_store_normalised_facts(api_client, sdr_headers):
    created = api_client.post(
        LEADS_URL,
        {"email": "ada@example.com", "industry": " FinTech ", "company_size": 240},
        format="json",
        **sdr_headers,
    )
    assert created.status_code == 201, created.content
    assert (created.json()["industry"], created.json()["company_size"]) == ("fintech", 240)

    updated = api_client.patch(
        f"{LEADS_URL}/{created.json()['id']}",
        {"company_size": None, "industry": "Software"},
        format="json",
        **sdr_headers,
    )

    assert updated.status_code == 200, updated.content
    lead = Lead.objects.get()
    assert (lead.industry, lead.company_size) == ("software", None)


@pytest.mark.parametrize(
    "body",
    [{"company_size": 0}, {"company_size": "lots"}, {"industry": "x" * 101}],
    ids=["size-zero", "size-words", "industry-too-long"],
)
def test_bad_facts_are_refused_with_the_envelope(api_client, sdr_headers, body):
    response = api_client.post(
        LEADS_URL, {"email": "ada@example.com", **body}, format="json", **sdr_headers
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(body) <= set(error["details"])
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"industry": "Software"}, ["a@example.com", "b@example.com"]),
        ({"company_size_min": 100}, ["b@example.com", "c@example.com"]),
        ({"company_size_max": 100}, ["a@example.com"]),
        ({"company_size_min": 100, "company_size_max": 1000}, ["b@example.com"]),
        ({"industry": "software", "company_size_min": 100}, ["b@example.com"]),
    ],
    ids=["industry-any-case", "size-min", "size-max", "size-range", "industry-and-size"],
)
def test_the_list_filters_by_industry_and_size_range(api_client, sdr_headers, params, expected):
    LeadFactory(email="a@example.com", industry="software", company_size=20)
    LeadFactory(email="b@example.com", industry="software", company_size=500)
    LeadFactory(email="c@example.com", industry="fintech", company_size=5000)
    LeadFactory(email="d@example.com", industry="", company_size=None)

    response = api_client.get(LEADS_URL, params, **sdr_headers)

    assert response.status_code == 200
    assert sorted(row["email"] for row in response.json()["results"]) == expected
