from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.accounts.services import user_create
from revo.tenancy.models import Domain, Tenant
from tests.conftest import PUBLIC_DOMAIN
from tests.factories import DEFAULT_PASSWORD

TENANTS_URL = "/api/v1/platform/tenants"


@pytest.fixture
def public_api(db) -> APIClient:
    return APIClient(HTTP_HOST=PUBLIC_DOMAIN)


def _bearer_on_public(client: APIClient, email: str) -> dict[str, str]:
    pair = client.post(
        "/api/v1/auth/token", {"email": email, "password": DEFAULT_PASSWORD}, format="json"
    ).json()
    return {"HTTP_AUTHORIZATION": f"Bearer {pair['access']}"}


@pytest.fixture
def operator_header(public_api) -> dict[str, str]:
    call_command(
        "create_platform_operator", "--email", "ops@revo.example", "--password", DEFAULT_PASSWORD
    )
    return _bearer_on_public(public_api, "ops@revo.example")


def _body(**overrides: str) -> dict[str, str]:
    return {
        "slug": "initech",
        "name": "Initech",
        "domain": "initech.localhost",
        "admin_email": "boss@initech.example",
        **overrides,
    }


def test_operator_provisions_a_tenant_and_gets_its_admin(public_api, operator_header):
    response = public_api.post(TENANTS_URL, _body(), format="json", **operator_header)

    assert response.status_code == 201
    body = response.json()
    assert body["tenant"]["slug"] == "initech"
    assert body["tenant"]["domain"] == "initech.localhost"
    assert body["admin_password"]
    tenant = Tenant.objects.get(pk=body["tenant"]["id"])
    with schema_context(tenant.schema_name):
        admin = User.objects.get(pk=body["admin_id"])
        assert admin.role == Role.ADMIN
        assert admin.check_password(body["admin_password"])


def test_provisioning_is_idempotent_with_a_key(public_api, operator_header):
    first = public_api.post(
        TENANTS_URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="t-1", **operator_header
    )
    again = public_api.post(
        TENANTS_URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="t-1", **operator_header
    )

    assert first.status_code == again.status_code == 201
    assert again["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert Tenant.objects.filter(slug="initech").count() == 1


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"slug": "test"}, "already exists"),
        ({"slug": "public"}, "reserved"),
        ({"domain": "test.localhost"}, "already in use"),
        ({"currency": "eur"}, "currency"),
        ({"admin_email": "not-an-email"}, "admin email"),
    ],
    ids=["taken-slug", "reserved-slug", "taken-domain", "bad-currency", "bad-email"],
)
def test_refused_provisioning_is_a_422_and_creates_nothing(
    public_api, operator_header, overrides, fragment
):
    tenants_before = Tenant.objects.count()

    response = public_api.post(TENANTS_URL, _body(**overrides), format="json", **operator_header)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert fragment in error["message"]
    assert Tenant.objects.count() == tenants_before
    assert not Domain.objects.filter(domain="initech.localhost").exists()


def test_public_user_who_is_not_a_superuser_is_refused(public_api):
    with schema_context("public"):
        user_create(email="helper@revo.example", password=DEFAULT_PASSWORD, role=Role.ADMIN)
    header = _bearer_on_public(public_api, "helper@revo.example")

    response = public_api.post(TENANTS_URL, _body(), format="json", **header)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_tenant_admin_token_is_refused_on_the_public_host(
    public_api, user_by_role, auth_header, tenant
):
    header = auth_header(user_by_role(Role.ADMIN))
    connection.set_schema_to_public()

    response = public_api.post(TENANTS_URL, _body(), format="json", **header)

    assert response.status_code == 401


def test_platform_endpoint_does_not_exist_on_tenant_hosts(api_client, user_by_role, auth_header):
    response = api_client.post(
        TENANTS_URL, _body(), format="json", **auth_header(user_by_role(Role.ADMIN))
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_is_refused(public_api):
    assert public_api.post(TENANTS_URL, _body(), format="json").status_code == 401


def test_create_platform_operator_refuses_a_duplicate(db):
    from django.core.management import CommandError

    call_command("create_platform_operator", "--email", "ops@revo.example")

    with pytest.raises(CommandError, match="already exists"):
        call_command("create_platform_operator", "--email", "OPS@revo.example")
