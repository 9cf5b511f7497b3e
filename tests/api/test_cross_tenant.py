"""No token or id of one tenant reaches another tenant's data. Every object endpoint of the
domain API (derived from the URL configuration) is called with tenant A's ids: with A's
token on B's host (401: the token belongs to another tenant) and with B's own token (404:
the ids do not exist there); neither answer carries any of A's data."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from revo.accounts.roles import Role
from revo.api.checks import api_views, view_methods
from revo.billing.models import Invoice
from tests.billing.factories import invoice_issued
from tests.conftest import OTHER_DOMAIN, TEST_DOMAIN
from tests.factories import UserFactory

#: first path segment after /api/v1/ → which of tenant A's objects its ``pk`` names
OBJECT_KINDS = {"leads": "lead", "deals": "deal", "contracts": "contract", "invoices": "invoice"}
MUTATING_OR_READING = {"GET", "POST", "PATCH", "PUT", "DELETE"}


def _object_endpoints() -> list[tuple[str, str, str]]:
    found = []
    for route, view_class in api_views("revo.urls_tenant"):
        if "<int:pk>" not in route:
            continue
        segment = route.removeprefix("api/v1/").split("/")[0]
        if segment not in OBJECT_KINDS:
            continue
        for method in view_methods(view_class):
            if method in MUTATING_OR_READING:
                found.append(("/" + route, method, OBJECT_KINDS[segment]))
    return found


ENDPOINTS = _object_endpoints()
IDS = [f"{method} {route}" for route, method, _ in ENDPOINTS]


def test_the_walk_finds_every_object_endpoint():
    routes = {(route, method) for route, method, _ in ENDPOINTS}

    assert ("/api/v1/leads/<int:pk>", "DELETE") in routes
    assert ("/api/v1/deals/<int:pk>/advance", "POST") in routes
    assert ("/api/v1/contracts/<int:pk>/rounds", "POST") in routes
    assert ("/api/v1/invoices/<int:pk>/pdf", "GET") in routes
    assert len(ENDPOINTS) >= 17


@pytest.fixture
def tenant_a_objects(tenant) -> dict[str, object]:  # noqa: ANN001
    invoice = invoice_issued()
    invoice = Invoice.objects.select_related("contract__deal__lead").get(pk=invoice.pk)
    contract = invoice.contract
    return {
        "invoice": invoice,
        "contract": contract,
        "deal": contract.deal,
        "lead": contract.deal.lead,
    }


def _call(client: APIClient, method: str, url: str, headers: dict[str, str]):  # noqa: ANN202
    return getattr(client, method.lower())(url, {}, format="json", **headers)


def _leaks(response, objects: dict[str, object]) -> list[str]:  # noqa: ANN001
    body = response.content.decode(errors="replace")
    lead = objects["lead"]
    invoice = objects["invoice"]
    return [secret for secret in (lead.email, lead.company, invoice.number) if secret in body]


@pytest.mark.parametrize(("route", "method", "kind"), ENDPOINTS, ids=IDS)
def test_tenant_a_token_on_tenant_b_host_is_401(
    tenant_a_objects, auth_header, other_tenant, route, method, kind
):
    token_a = auth_header(UserFactory(role=Role.ADMIN))
    url = route.replace("<int:pk>", str(tenant_a_objects[kind].pk))

    response = _call(APIClient(HTTP_HOST=OTHER_DOMAIN), method, url, token_a)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert _leaks(response, tenant_a_objects) == []


@pytest.mark.parametrize(("route", "method", "kind"), ENDPOINTS, ids=IDS)
def test_tenant_b_token_with_tenant_a_ids_is_404(
    tenant_a_objects, auth_header, in_other_tenant, route, method, kind
):
    with in_other_tenant():
        token_b = auth_header(UserFactory(role=Role.ADMIN))
    url = route.replace("<int:pk>", str(tenant_a_objects[kind].pk))

    response = _call(APIClient(HTTP_HOST=OTHER_DOMAIN), method, url, token_b)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert _leaks(response, tenant_a_objects) == []


@pytest.mark.parametrize("kind", sorted(set(OBJECT_KINDS.values())))
def test_tenant_a_token_reads_its_own_objects(tenant_a_objects, auth_header, kind):
    token_a = auth_header(UserFactory(role=Role.ADMIN))
    plural = {v: k for k, v in OBJECT_KINDS.items()}[kind]

    response = APIClient(HTTP_HOST=TEST_DOMAIN).get(
        f"/api/v1/{plural}/{tenant_a_objects[kind].pk}", **token_a
    )

    assert response.status_code == 200
    assert response.json()["id"] == tenant_a_objects[kind].pk


@pytest.mark.parametrize(
    "url", ["/api/v1/leads", "/api/v1/deals", "/api/v1/contracts", "/api/v1/invoices"]
)
def test_tenant_b_lists_show_none_of_tenant_a(tenant_a_objects, auth_header, in_other_tenant, url):
    with in_other_tenant():
        token_b = auth_header(UserFactory(role=Role.ADMIN))

    response = APIClient(HTTP_HOST=OTHER_DOMAIN).get(url, **token_b)

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert _leaks(response, tenant_a_objects) == []
