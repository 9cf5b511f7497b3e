"""A lead's industry and company size in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from revo.accounts.roles import Role
from revo.leads.models import Lead
from tests.factories import UserFactory
from tests.leads.factories import LeadFactory
from tests.leads.test_admin import INLINE_MANAGEMENT

CHANGELIST = "admin:leads_lead_changelist"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"industry__exact": "fintech"}, ["c@example.com"]),
        ({"company_size_band": "1-49"}, ["a@example.com"]),
        ({"company_size_band": "1000+"}, ["c@example.com"]),
        ({"company_size_band": "none"}, ["d@example.com"]),
        ({"q": "fintech"}, ["c@example.com"]),
    ],
    ids=["industry", "small", "large", "unknown-size", "search-industry"],
)
def test_changelist_filters_and_searches_the_facts(tenant, tenant_client, params, expected):
    LeadFactory(email="a@example.com", industry="software", company_size=20)
    LeadFactory(email="b@example.com", industry="software", company_size=500)
    LeadFactory(email="c@example.com", industry="fintech", company_size=5000)
    LeadFactory(email="d@example.com", industry="", company_size=None)
    tenant_client.force_login(UserFactory(role=Role.VIEWER))

    response = tenant_client.get(reverse(CHANGELIST), params)

    assert response.status_code == 200
    assert sorted(lead.email for lead in response.context["cl"].result_list) == expected


def test_the_lead_form_saves_facts_through_the_service(tenant, tenant_client):
    tenant_client.force_login(UserFactory(role=Role.SDR))

    response = tenant_client.post(
        reverse("admin:leads_lead_add"),
        {
            "email": "ada@example.com",
            "industry": "  Data Analytics ",
            "company_size": "0",
            "lawful_basis": "consent",
            **INLINE_MANAGEMENT,
        },
    )
    assert response.status_code == 200
    assert "company size must be at least 1" in response.content.decode()
    assert not Lead.objects.exists()

    response = tenant_client.post(
        reverse("admin:leads_lead_add"),
        {
            "email": "ada@example.com",
            "industry": "  Data Analytics ",
            "company_size": "310",
            "lawful_basis": "consent",
            **INLINE_MANAGEMENT,
        },
    )

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert (lead.industry, lead.company_size) == ("data analytics", 310)
