"""The LLM call log and the per-agent metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from revo.accounts.roles import Role
from revo.agents.models import AgentRun, RunStatus, Trigger
from revo.llm.models import LLMCall
from revo.reviews.models import ReviewItem
from tests.reviews.artifacts import item_of, make_artifact

LOG_URL = "/api/v1/logs/agents"
METRICS_URL = "/api/v1/metrics/agents"


@pytest.fixture
def viewer_headers(user_by_role, auth_header):  # noqa: ANN001, ANN201
    return auth_header(user_by_role(Role.VIEWER))


def _call(**fields: object) -> LLMCall:
    defaults: dict[str, object] = {
        "prompt_key": "sdr.outreach_first_touch",
        "prompt_version": 1,
        "backend": "ollama",
        "model": "qwen2.5:7b-instruct",
        "status": "ok",
        "agent": "sdr",
        "latency_ms": 100.0,
        "prompt_tokens": 200,
        "completion_tokens": 50,
    }
    return LLMCall.objects.create(**{**defaults, **fields})


# --------------------------------------------------------------------------- call log


def test_the_call_log_lists_calls_newest_first_with_the_template_flag(
    api_client, viewer_headers, django_assert_max_num_queries
):
    older = _call(backend="template", model="")
    newer = _call(status="invalid", error="schema")

    with django_assert_max_num_queries(6):
        response = api_client.get(LOG_URL, **viewer_headers)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [newer.pk, older.pk]
    assert [row["is_template"] for row in rows] == [False, True]
    assert rows[0]["status"] == "invalid"
    assert rows[0]["prompt_tokens"] == 200


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "error"}, {"error"}),
        ({"backend": "template"}, {"template"}),
        ({"is_template": "true"}, {"template"}),
        ({"is_template": "false"}, {"plain", "error", "finance"}),
        ({"prompt_key": "finance.dunning_notice"}, {"finance"}),
        ({"agent": "finance"}, {"finance"}),
        ({"model": "llama3.2:3b"}, {"error"}),
    ],
    ids=["status", "backend", "template", "not-template", "prompt-key", "agent", "model"],
)
def test_the_call_log_filters(api_client, viewer_headers, params, expected):
    calls = {
        "plain": _call(),
        "error": _call(status="error", model="llama3.2:3b"),
        "template": _call(backend="template"),
        "finance": _call(prompt_key="finance.dunning_notice", agent="finance"),
    }
    names = {call.pk: name for name, call in calls.items()}

    response = api_client.get(LOG_URL, params, **viewer_headers)

    assert response.status_code == 200
    assert {names[row["id"]] for row in response.json()["results"]} == expected


def test_the_call_log_filters_by_run_and_time(api_client, viewer_headers):
    run = AgentRun.objects.create(agent="sdr", trigger=Trigger.CLI)
    mine = _call(run_id=run.run_id)
    old = _call()
    LLMCall.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()

    by_run = api_client.get(LOG_URL, {"run_id": str(run.run_id)}, **viewer_headers).json()
    recent = api_client.get(LOG_URL, {"created_after": since}, **viewer_headers).json()

    assert [row["id"] for row in by_run["results"]] == [mine.pk]
    assert [row["id"] for row in recent["results"]] == [mine.pk]


@pytest.mark.parametrize(
    "params",
    [{"status": "maybe"}, {"run_id": "nope"}, {"created_after": "+275760-09-13T00:00:00+17:01"}],
    ids=["status", "run-id", "out-of-range-offset"],
)
def test_a_bad_call_log_filter_is_a_validation_error(api_client, viewer_headers, params):
    response = api_client.get(LOG_URL, params, **viewer_headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_call_log_offset_postgresql_cannot_store_is_resolved_to_utc(api_client, viewer_headers):
    _call()

    response = api_client.get(
        LOG_URL, {"created_before": "9778-01-18T20:42:42+17:01"}, **viewer_headers
    )

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_other_tenants_calls_are_not_listed(tenant, api_client, viewer_headers, in_other_tenant):
    with in_other_tenant():
        _call()
    connection.set_tenant(tenant)

    response = api_client.get(LOG_URL, **viewer_headers)

    assert response.json()["count"] == 0


# --------------------------------------------------------------------------- metrics


def _decide(artifact, decision: str, user, reason: str = "", edits=None):  # noqa: ANN001, ANN202
    from revo.reviews.services import review_decide

    return review_decide(
        entity_type=artifact.REVIEW_ENTITY_TYPE,
        entity_id=artifact.pk,
        decision=decision,
        by=user,
        reason=reason,
        edits=edits,
    )


def _drafted_by(artifact, version: int, latency_ms: float) -> None:  # noqa: ANN001
    _call(
        prompt_version=version,
        latency_ms=latency_ms,
        artifact_content_type=ContentType.objects.get_for_model(type(artifact)),
        artifact_object_id=str(artifact.pk),
    )


def test_metrics_per_agent_and_prompt_version(
    api_client, viewer_headers, user_by_role, django_assert_max_num_queries
):
    admin = user_by_role(Role.ADMIN)
    for status, processed, failed in (("succeeded", 8, 1), ("succeeded", 2, 0), ("dead", 0, 0)):
        AgentRun.objects.filter(
            pk=AgentRun.objects.create(agent="sdr", trigger=Trigger.CLI).pk
        ).update(status=status, processed=processed, failed=failed, artifacts_created=processed)
    approved, edited, rejected, pending = (make_artifact("outreach", agent="sdr") for _ in range(4))
    for artifact, version, latency in (
        (approved, 1, 100.0),
        (edited, 1, 300.0),
        (rejected, 2, 500.0),
        (pending, 2, 700.0),
    ):
        _drafted_by(artifact, version, latency)
    _decide(approved, "approve", admin)
    _decide(edited, "edit_approve", admin, edits={"subject": "Edited"})
    _decide(rejected, "reject", admin, reason="off")
    ReviewItem.objects.filter(pk=item_of(approved).pk).update(
        created_at=timezone.now() - timedelta(seconds=600)
    )

    with django_assert_max_num_queries(9):
        response = api_client.get(METRICS_URL, **viewer_headers)

    assert response.status_code == 200, response.content
    sdr = next(row for row in response.json()["agents"] if row["agent"] == "sdr")
    assert (sdr["runs"], sdr["succeeded"]) == (3, 2)
    assert sdr["success_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert (sdr["items_processed"], sdr["items_failed"], sdr["artifacts_created"]) == (10, 1, 10)
    assert sdr["pending_review"] == 1
    assert sdr["reviews"]["decided"] == 3
    assert sdr["reviews"]["approval_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert sdr["reviews"]["edit_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert sdr["reviews"]["rejection_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert sdr["median_review_wait_s"] > 0
    assert sdr["llm"]["calls"] == 4
    assert sdr["llm"]["tokens_in"] == 800
    versions = {v["prompt_version"]: v for v in sdr["prompt_versions"]}
    assert versions[1]["calls"] == 2
    assert versions[1]["mean_latency_ms"] == pytest.approx(200.0)
    assert versions[2]["p95_latency_ms"] == pytest.approx(690.0)
    assert versions[1]["reviews"]["approval_rate"] == 1.0
    assert versions[2]["reviews"]["rejection_rate"] == 1.0
    assert versions[2]["reviews"]["decided"] == 1


def test_metrics_within_a_window(api_client, viewer_headers):
    run = AgentRun.objects.create(agent="finance", trigger=Trigger.CLI)
    AgentRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED, queued_at=timezone.now() - timedelta(days=5)
    )
    since = (timezone.now() - timedelta(days=1)).isoformat()

    everything = api_client.get(METRICS_URL, **viewer_headers).json()["agents"]
    recent = api_client.get(METRICS_URL, {"created_after": since}, **viewer_headers).json()

    assert [row["agent"] for row in everything] == ["finance"]
    assert recent["agents"] == []


def test_metrics_refuse_a_bad_window(api_client, viewer_headers):
    response = api_client.get(METRICS_URL, {"created_after": "soon"}, **viewer_headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_metrics_with_nothing_recorded_are_empty(api_client, viewer_headers):
    response = api_client.get(METRICS_URL, **viewer_headers)

    assert response.json() == {"agents": []}
