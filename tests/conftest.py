"""Test harness: the embedded PostgreSQL and Redis, one migrated test tenant (plus a
second one for isolation tests) created once per session, and clients addressed by host."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from revo.tenancy.models import Tenant

TEST_SLUG = "test"
TEST_DOMAIN = "test.localhost"
OTHER_SLUG = "other"
OTHER_DOMAIN = "other.localhost"
PUBLIC_DOMAIN = "localhost"
ADMIN_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> None:
    from revo.tenancy.services import public_tenant_ensure, tenant_provision

    with django_db_blocker.unblock():
        database = connection.settings_dict["NAME"]
        if not database.startswith("test_"):
            raise RuntimeError(f"refusing to provision test tenants in {database!r}")
        public_tenant_ensure(domain=PUBLIC_DOMAIN)
        for slug, domain in ((TEST_SLUG, TEST_DOMAIN), (OTHER_SLUG, OTHER_DOMAIN)):
            tenant_provision(
                slug=slug,
                name=f"{slug.title()} Ltd",
                domain=domain,
                admin_email=f"admin@{slug}.example",
                admin_password=ADMIN_PASSWORD,
                timezone="Europe/Berlin",
                postal_address=f"{slug.title()} Ltd, 1 Test Street, Berlin",
            )


@pytest.fixture(scope="session", autouse=True)
def _session_media_root_removed_afterwards() -> Iterator[None]:
    """Files the tests store (PDFs, imports) live in the session's own media root."""
    from django.conf import settings

    yield
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.name.startswith("test-media-"):
        shutil.rmtree(media_root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _public_schema_after_each_test() -> Iterator[None]:
    """A request or schema switch in one test must not leak into the next."""
    yield
    connection.set_schema_to_public()


@pytest.fixture
def tenant(db) -> Iterator[Tenant]:
    """The session's test tenant, with the connection switched into its schema."""
    test_tenant = Tenant.objects.get(slug=TEST_SLUG)
    connection.set_tenant(test_tenant)
    yield test_tenant
    connection.set_schema_to_public()


@pytest.fixture
def other_tenant(db) -> Tenant:
    return Tenant.objects.get(slug=OTHER_SLUG)


@pytest.fixture
def in_other_tenant(other_tenant):  # noqa: ANN201
    """Run a block in the second tenant: ``with in_other_tenant(): ...``."""

    def _context():  # noqa: ANN202
        return schema_context(other_tenant.schema_name)

    return _context


@pytest.fixture
def tenant_client(tenant) -> Client:
    """A client addressing the test tenant by its host name."""
    return Client(HTTP_HOST=TEST_DOMAIN)


@pytest.fixture
def other_client(other_tenant) -> Client:
    return Client(HTTP_HOST=OTHER_DOMAIN)


@pytest.fixture
def public_client(db) -> Client:
    return Client(HTTP_HOST=PUBLIC_DOMAIN)


# --------------------------------------------------------------------------- API


@pytest.fixture
def api_client(tenant):  # noqa: ANN201
    """A DRF client addressing the test tenant's host (JSON by default)."""
    from rest_framework.test import APIClient

    return APIClient(HTTP_HOST=TEST_DOMAIN)


@pytest.fixture
def user_by_role(tenant):  # noqa: ANN201
    """``user_by_role("sales")``: a new user of the test tenant with that role."""
    from tests.factories import UserFactory

    def _make(role: str, **fields: object):  # noqa: ANN202
        return UserFactory(role=role, **fields)

    return _make


@pytest.fixture
def auth_header():  # noqa: ANN201
    """``client.get(url, **auth_header(user))``: a fresh access token for ``user``, issued
    for the schema the connection is in."""
    from revo.api.tokens import token_pair_issue

    def _header(user) -> dict[str, str]:  # noqa: ANN001
        return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user)['access']}"}

    return _header
