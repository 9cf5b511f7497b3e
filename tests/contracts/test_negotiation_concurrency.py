"""Negotiation rounds recorded by many workers at once: numbers stay 1..n without gaps
or duplicates.

The workers need committed rows, which the test's own transaction cannot give them. The
test asks for ``db`` (so the session's test database is set up) but leaves its own
connection idle: every read and write happens in threads, each with its own autocommit
connection, in a tenant provisioned for this test and dropped afterwards."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from revo.accounts.models import User
from revo.contracts.models import Contract, NegotiationRound
from revo.contracts.services import negotiation_round_record
from revo.tenancy.models import Tenant
from tests.contracts.factories import ContractFactory
from tests.factories import UserFactory

THREADS = 6
PER_THREAD = 5
TIMEOUT = 120


def in_thread(work: Callable[[], Any]) -> Any:
    """Run ``work`` on a connection of its own (committed as it goes) and return its result."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(TIMEOUT)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def committed_tenant(db) -> Iterator[Tenant]:
    from revo.tenancy.services import tenant_provision

    def provision() -> Tenant:
        return tenant_provision(
            slug="contracts-concurrency",
            name="Negotiation Race Ltd",
            domain="contracts-concurrency.localhost",
            admin_email="admin@race.example",
            admin_password="correct-horse-battery-staple",
        ).tenant

    race_tenant = in_thread(provision)
    try:
        yield race_tenant
    finally:
        in_thread(lambda: Tenant.objects.get(pk=race_tenant.pk).delete(force_drop=True))


def test_concurrent_rounds_are_numbered_without_gaps(committed_tenant):
    # given a committed contract and a sales user in the race tenant
    def seed() -> tuple[int, int]:
        connection.set_tenant(committed_tenant)
        return UserFactory(role="sales").pk, ContractFactory().pk

    author_pk, contract_pk = in_thread(seed)
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def record(worker: int) -> None:
        try:
            connection.set_tenant(committed_tenant)
            user = User.objects.get(pk=author_pk)
            barrier.wait(timeout=30)
            for i in range(PER_THREAD):
                negotiation_round_record(
                    contract=Contract.objects.get(pk=contract_pk),
                    party="customer" if i % 2 else "us",
                    offered_price="1000.00",
                    notes=f"worker {worker} offer {i}",
                    by=user,
                )
        except BaseException as exc:  # reported to the test's thread
            errors.append(exc)
        finally:
            connection.close()

    # when several workers record rounds on it at the same time
    threads = [threading.Thread(target=record, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)

    # then every round got its own number, 1..n, none lost
    def numbers() -> list[int]:
        connection.set_tenant(committed_tenant)
        return list(
            NegotiationRound.objects.filter(contract_id=contract_pk)
            .order_by("number")
            .values_list("number", flat=True)
        )

    assert errors == []
    assert in_thread(numbers) == list(range(1, THREADS * PER_THREAD + 1))
