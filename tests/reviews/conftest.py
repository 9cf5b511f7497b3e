from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.db import connection

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.tenancy.models import Tenant
from tests.conftest import ADMIN_PASSWORD
from tests.factories import UserFactory

T = TypeVar("T")
THREAD_TIMEOUT = 60


@pytest.fixture
def user_of(tenant) -> Callable[[str], User]:
    """A new user with the given role: ``user_of(Role.SDR)``."""

    def _make(role: str) -> User:
        return UserFactory(role=role)

    return _make


@pytest.fixture
def admin_user(user_of) -> User:
    return user_of(Role.ADMIN)


def in_own_connection(work: Callable[[], T], *, tenant: Tenant | None = None) -> T:
    """Run ``work`` in a thread with its own database connection (autocommit, so what it
    writes is committed), inside ``tenant``'s schema if given; return its result or raise
    its exception. The test's own connection is inside a transaction that is rolled back,
    so it never touches a throwaway tenant's tables: its locks would block the drop."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            if tenant is not None:
                connection.set_tenant(tenant)
            outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(THREAD_TIMEOUT)
    if thread.is_alive():
        raise TimeoutError(f"{work!r} did not finish in {THREAD_TIMEOUT}s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@pytest.fixture
def race_tenant(db) -> Iterator[Tenant]:
    """A throwaway tenant whose data is committed, so threads with their own connections
    see it; its schema is dropped afterwards. It is provisioned and dropped from another
    connection: the test database is set up as usual (``db``), and a transactional test
    database, whose flush truncates the shared public tables, is never needed."""
    from revo.tenancy.services import tenant_provision

    slug = f"race-{uuid.uuid4().hex[:8]}"
    result = in_own_connection(
        lambda: tenant_provision(
            slug=slug,
            name="Race Ltd",
            domain=f"{slug}.localhost",
            admin_email=f"admin@{slug}.example",
            admin_password=ADMIN_PASSWORD,
        )
    )
    try:
        yield result.tenant
    finally:
        in_own_connection(lambda: result.tenant.delete(force_drop=True))
