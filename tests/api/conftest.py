"""Fixtures for tests that need committed data seen by other threads or a live server:
a dedicated tenant provisioned for the module and dropped after it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from revo.accounts.models import User
from revo.api.tokens import access_token_issue
from revo.tenancy.services import ProvisionResult, tenant_provision
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture(scope="module")
def committed_tenant(django_db_setup, django_db_blocker) -> Iterator[ProvisionResult]:
    """A tenant whose rows are committed (no test transaction around them). Tests using it
    are marked ``django_db`` (so the session sets up the test database at all) and reach
    the database from other threads or inside ``django_db_blocker.unblock()``."""
    if not connection.settings_dict["NAME"].startswith("test_"):
        raise RuntimeError("committed_tenant needs the test database: mark the test django_db")
    slug = f"live-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        result = tenant_provision(
            slug=slug,
            name="Live Ltd",
            domain=f"{slug}.localhost",
            admin_email=f"admin@{slug}.example",
            admin_password=ADMIN_PASSWORD,
        )
    try:
        yield result
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            result.tenant.delete(force_drop=True)


def committed_admin_token(result: ProvisionResult) -> str:
    """A fresh access token of the committed tenant's admin. Writes nothing, so it holds no
    lock a request served by another thread could wait for."""
    with schema_context(result.tenant.schema_name):
        admin = User.objects.get(pk=result.admin.pk)
        return access_token_issue(user=admin)


@pytest.fixture
def clean_login_counters() -> Iterator[None]:
    """Forget this session's sign-in failure counters afterwards (only those: Redis is
    shared with other sessions)."""
    yield
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = cache._cache.get_client()
    keys = list(client.scan_iter(match=f"*:{prefix}:*:api:login-failures:*"))
    if keys:
        client.delete(*keys)
