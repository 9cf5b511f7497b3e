"""Two reviewers deciding one artifact at the same moment: exactly one wins, the other
gets ``Conflict``. Every thread has its own database connection, so the data lives in a
throwaway tenant whose rows are committed (see ``race_tenant``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from revo.accounts.roles import Role
from revo.core.exceptions import Conflict
from revo.reviews.models import ReviewDecision
from revo.reviews.services import review_decide
from revo.tenancy.models import Tenant
from tests.factories import UserFactory
from tests.reviews.artifacts import make_artifact
from tests.reviews.conftest import THREAD_TIMEOUT, in_own_connection


def _thread(tenant: Tenant, work: Callable[[], Any], results: list[Any]) -> threading.Thread:
    def run() -> None:
        try:
            connection.set_tenant(tenant)
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run)


def _run(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)


def _given_two_reviewers_and_a_draft(tenant: Tenant) -> tuple[Any, Any, Any]:
    return in_own_connection(
        lambda: (UserFactory(role=Role.SDR), UserFactory(role=Role.ADMIN), make_artifact()),
        tenant=tenant,
    )


def _state(tenant: Tenant, artifact: Any) -> tuple[str, list[tuple[str, int]]]:
    def read() -> tuple[str, list[tuple[str, int]]]:
        artifact.refresh_from_db()
        decisions = list(ReviewDecision.objects.values_list("decision", "by_user_id"))
        return artifact.review_status, decisions

    return in_own_connection(read, tenant=tenant)


def test_two_reviewers_at_once_exactly_one_wins_the_other_gets_conflict(race_tenant):
    first, second, artifact = _given_two_reviewers_and_a_draft(race_tenant)
    barrier = threading.Barrier(2, timeout=THREAD_TIMEOUT)
    results: list[Any] = []

    def decide(user: Any, decision: str, reason: str) -> tuple[str, int]:
        barrier.wait()
        review_decide(
            entity_type="outreach",
            entity_id=artifact.pk,
            decision=decision,
            by=user,
            reason=reason,
        )
        return decision, user.pk

    _run(
        _thread(race_tenant, lambda: decide(first, "approve", ""), results),
        _thread(race_tenant, lambda: decide(second, "reject", "duplicate"), results),
    )

    winners = [r for r in results if isinstance(r, tuple)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    status, decisions = _state(race_tenant, artifact)
    assert decisions == winners
    assert status == ("approved" if winners[0][0] == "approve" else "rejected")


def test_reviewer_deciding_while_another_holds_the_artifact_gets_conflict_at_once(race_tenant):
    first, second, artifact = _given_two_reviewers_and_a_draft(race_tenant)
    first_holds_lock = threading.Event()
    second_done = threading.Event()
    first_results: list[Any] = []
    second_results: list[Any] = []

    def decide_and_hold() -> str:
        with transaction.atomic():
            review_decide(
                entity_type="outreach", entity_id=artifact.pk, decision="approve", by=first
            )
            first_holds_lock.set()
            second_done.wait(THREAD_TIMEOUT)  # still uncommitted while the second one tries
        return "approve"

    def decide_while_held() -> Any:
        first_holds_lock.wait(THREAD_TIMEOUT)
        try:
            return review_decide(
                entity_type="outreach",
                entity_id=artifact.pk,
                decision="reject",
                by=second,
                reason="mine",
            )
        finally:
            second_done.set()

    _run(
        _thread(race_tenant, decide_and_hold, first_results),
        _thread(race_tenant, decide_while_held, second_results),
    )

    assert first_results == ["approve"]
    assert len(second_results) == 1
    assert isinstance(second_results[0], Conflict)
    assert "being decided by someone else" in second_results[0].message
    assert _state(race_tenant, artifact) == ("approved", [("approve", first.pk)])
