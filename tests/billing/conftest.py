from __future__ import annotations

import pytest
from django.db import connection

from revo.accounts.models import User
from tests.billing.factories import finance_user


@pytest.fixture
def finance(tenant) -> User:
    return finance_user()


@pytest.fixture
def committed_tenant(django_db_blocker):
    """A tenant of its own with committed data, for threads with their own connections;
    dropped afterwards (schema included)."""
    from revo.tenancy.services import tenant_provision

    with django_db_blocker.unblock():
        result = tenant_provision(
            slug="billing-concurrency",
            name="Concurrency Ltd",
            domain="billing-concurrency.localhost",
            admin_email="admin@concurrency.example",
            admin_password="correct-horse-battery-staple",
        )
        try:
            yield result.tenant
        finally:
            connection.set_schema_to_public()
            result.tenant.delete(force_drop=True)
