from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from django.db import connection

from revo.accounts.models import User
from revo.tenancy.models import Tenant
from tests.billing.factories import finance_user

T = TypeVar("T")


@pytest.fixture
def finance(tenant) -> User:
    return finance_user()


def in_own_connection(fn: Callable[..., T], *args: object) -> T:
    """Run ``fn`` in a thread of its own, so on a database connection of its own that
    commits (outside the test's transaction); its exception is raised here."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(fn(*args))
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results[0]


def _provision() -> Tenant:
    from revo.tenancy.services import tenant_provision

    return tenant_provision(
        slug="billing-concurrency",
        name="Concurrency Ltd",
        domain="billing-concurrency.localhost",
        admin_email="admin@concurrency.example",
        admin_password="correct-horse-battery-staple",
    ).tenant


def _drop(tenant: Tenant) -> None:
    connection.set_schema_to_public()
    tenant.delete(force_drop=True)


@pytest.fixture
def committed_tenant(db) -> Iterator[Tenant]:
    """A tenant of its own whose data is committed, for tests where threads with their own
    connections must see each other's work. It is provisioned, used and dropped (schema
    included) on connections of their own, never through ``transactional_db``, whose
    flush would empty the public schema. Requesting ``db`` makes sure the session's test
    database is the one in use."""
    assert connection.settings_dict["NAME"].startswith("test_")
    tenant = in_own_connection(_provision)
    try:
        yield tenant
    finally:
        in_own_connection(_drop, tenant)
