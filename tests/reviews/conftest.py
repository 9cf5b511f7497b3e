from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from django.db import connection

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.tenancy.models import Tenant
from tests.conftest import ADMIN_PASSWORD
from tests.factories import UserFactory


@pytest.fixture
def user_of(tenant) -> Callable[[str], User]:
    """A new user with the given role: ``user_of(Role.SDR)``."""

    def _make(role: str) -> User:
        return UserFactory(role=role)

    return _make


@pytest.fixture
def admin_user(user_of) -> User:
    return user_of(Role.ADMIN)


@pytest.fixture
def race_tenant(django_db_setup, django_db_blocker) -> Iterator[Tenant]:
    """A throwaway tenant whose data is committed, so threads with their own connections
    see it; its schema is dropped afterwards. (A transactional test database would flush
    the shared public tables instead.)"""
    from revo.tenancy.services import tenant_provision

    slug = f"race-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        result = tenant_provision(
            slug=slug,
            name="Race Ltd",
            domain=f"{slug}.localhost",
            admin_email=f"admin@{slug}.example",
            admin_password=ADMIN_PASSWORD,
        )
        try:
            yield result.tenant
        finally:
            connection.set_schema_to_public()
            result.tenant.delete(force_drop=True)
