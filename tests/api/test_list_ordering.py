"""Client-chosen orderings of page-numbered lists end on the primary key, so rows with
equal values keep one order and numbered pages neither repeat nor skip a row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revo.accounts.roles import Role
from revo.leads.models import Lead
from tests.leads.factories import LeadFactory

LEADS_URL = "/api/v1/leads"


def _order_by(sql: str) -> str:
    return sql.split(" ORDER BY ")[1].split(" LIMIT")[0].replace('"leads_lead".', "")


@pytest.mark.parametrize(
    ("params", "order_by"),
    [
        ({"ordering": "score"}, '"score" ASC, "id" ASC'),
        ({"ordering": "-score"}, '"score" DESC, "id" DESC'),
        ({"ordering": "-score,email"}, '"score" DESC, "email" ASC, "id" ASC'),
        ({}, '"created_at" DESC, "id" DESC'),
    ],
    ids=["ascending", "descending", "two-terms", "default-already-ends-on-the-id"],
)
def test_a_client_ordering_ends_on_the_primary_key_once(
    api_client, user_by_role, auth_header, params, order_by
):
    LeadFactory()
    headers = auth_header(user_by_role(Role.SDR))

    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(LEADS_URL, params, **headers)

    assert response.status_code == 200
    pages = [
        q["sql"] for q in captured if 'FROM "leads_lead"' in q["sql"] and "ORDER BY" in q["sql"]
    ]
    assert [_order_by(sql) for sql in pages] == [order_by]


def test_numbered_pages_of_equal_values_hold_every_row_once(api_client, user_by_role, auth_header):
    leads = [LeadFactory() for _ in range(7)]
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(score=50)
    headers = auth_header(user_by_role(Role.SDR))

    seen = []
    for page in (1, 2, 3, 4):
        body = api_client.get(
            LEADS_URL, {"ordering": "-score", "page": page, "page_size": 2}, **headers
        ).json()
        seen.extend(row["id"] for row in body["results"])

    assert seen == sorted((lead.pk for lead in leads), reverse=True)
