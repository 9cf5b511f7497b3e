"""The runs API: starting agent and pipeline runs (roles, validation, idempotency, 100
parallel identical requests), listing and reading runs, retrying and overriding them."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from revo.accounts.roles import Role
from revo.agents import base
from revo.agents.models import AgentRun, PipelineRun, RunOverride, RunStatus, Trigger
from revo.agents.services import agent_run_create, agent_run_execute
from revo.api.tokens import access_token_issue
from revo.audit.models import StateTransition
from revo.llm.models import LLMCall
from tests.agents.conftest import ScriptedAgent
from tests.conftest import OTHER_DOMAIN
from tests.factories import UserFactory
from tests.reviews.conftest import in_own_connection

PARALLEL = 100


class FinanceScripted(ScriptedAgent):
    """The scripted agent under a name the finance role may run."""

    name = "finance"


@pytest.fixture
def agents() -> Iterator[None]:
    """The scripted agent, and a scripted "finance" agent in place of any real one."""
    previous = base._REGISTRY.get("finance")
    ScriptedAgent.processed = []
    ScriptedAgent.default_items = []
    base.register(ScriptedAgent)
    base.register(FinanceScripted)
    yield
    base.unregister(ScriptedAgent.name)
    base.unregister(FinanceScripted.name)
    if previous is not None:
        base.register(previous)


@pytest.fixture
def headers_of(user_by_role, auth_header):  # noqa: ANN001, ANN201
    return lambda role: auth_header(user_by_role(role))


def _executed_run(items: list[str]) -> AgentRun:
    created = agent_run_create(
        agent="scripted", trigger=Trigger.CLI, options={"items": items}, sync=True
    )
    agent_run_execute(run_id=str(created.run.run_id))
    return AgentRun.objects.get(pk=created.run.pk)


# --------------------------------------------------------------------------- start


def test_starting_an_agent_run_queues_it_and_points_to_it(api_client, agents, headers_of):
    response = api_client.post(
        "/api/v1/agents/scripted/run",
        {"limit": 5, "options": {"items": ["a"]}},
        format="json",
        **headers_of(Role.ADMIN),
    )

    assert response.status_code == 202, response.content
    body = response.json()
    run = AgentRun.objects.get(run_id=body["run_id"])
    assert body["kind"] == "agent"
    assert body["created"] is True
    assert body["status"] == "queued"
    assert response.headers["Location"] == f"/api/v1/runs/{run.run_id}"
    assert run.trigger == Trigger.API
    assert run.requested_by.role == Role.ADMIN
    assert run.options == {"items": ["a"], "limit": 5}


@pytest.mark.parametrize(
    ("agent", "role", "allowed"),
    [
        ("finance", Role.FINANCE, True),
        ("finance", Role.ADMIN, True),
        ("finance", Role.SDR, False),
        ("finance", Role.VIEWER, False),
        ("scripted", Role.FINANCE, False),
        ("scripted", Role.SALES, False),
    ],
    ids=lambda v: str(v),
)
def test_running_an_agent_needs_that_agents_permission(
    api_client, agents, headers_of, agent, role, allowed
):
    response = api_client.post(f"/api/v1/agents/{agent}/run", {}, format="json", **headers_of(role))

    if allowed:
        assert response.status_code == 202
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
        assert not AgentRun.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "succeeded"}, "status"),
        ({"options": []}, "options"),
    ],
    ids=["zero-limit", "text-limit", "mass-assignment", "options-not-an-object"],
)
def test_a_bad_run_request_is_refused_and_creates_nothing(
    api_client, agents, headers_of, body, field
):
    response = api_client.post(
        "/api/v1/agents/scripted/run", body, format="json", **headers_of(Role.ADMIN)
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not AgentRun.objects.exists()


def test_an_unknown_agent_is_not_found(api_client, agents, headers_of):
    response = api_client.post(
        "/api/v1/agents/nobody/run", {}, format="json", **headers_of("admin")
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_same_idempotency_key_returns_the_first_run(api_client, agents, headers_of):
    headers = {**headers_of(Role.ADMIN), "HTTP_IDEMPOTENCY_KEY": "nightly-1"}

    first = api_client.post("/api/v1/agents/scripted/run", {}, format="json", **headers)
    again = api_client.post("/api/v1/agents/scripted/run", {}, format="json", **headers)

    assert first.status_code == again.status_code == 202
    assert again.json()["run_id"] == first.json()["run_id"]
    assert again.headers["Idempotency-Replayed"] == "true"
    assert AgentRun.objects.count() == 1


def test_starting_a_pipeline_queues_its_first_stage(api_client, agents, headers_of):
    response = api_client.post(
        "/api/v1/pipeline/run",
        {"agents": ["scripted", "finance"], "limit": 3},
        format="json",
        **headers_of(Role.ADMIN),
    )

    assert response.status_code == 202, response.content
    pipeline = PipelineRun.objects.get(run_id=response.json()["run_id"])
    assert response.json()["kind"] == "pipeline"
    assert pipeline.stages == ["scripted", "finance"]
    assert pipeline.status == RunStatus.RUNNING
    assert list(pipeline.agent_runs.values_list("agent", "stage_index")) == [("scripted", 0)]


@pytest.mark.parametrize(
    ("body", "status"),
    [({"agents": ["nobody"]}, 422), ({"agents": []}, 400), ({"limit": -1}, 400)],
    ids=["unknown-agent", "no-agents", "negative-limit"],
)
def test_a_bad_pipeline_request_is_refused(api_client, agents, headers_of, body, status):
    response = api_client.post(
        "/api/v1/pipeline/run", body, format="json", **headers_of(Role.ADMIN)
    )

    assert response.status_code == status
    assert response.json()["error"]["code"] == "validation_error"
    assert not PipelineRun.objects.exists()


@pytest.mark.django_db
def test_a_hundred_parallel_identical_pipeline_requests_with_one_key_start_one_run(
    committed_tenant, agents
):
    schema = committed_tenant.tenant.schema_name
    domain = committed_tenant.domain.domain

    def token() -> str:
        with schema_context(schema):
            return access_token_issue(user=UserFactory(role=Role.ADMIN))

    bearer = in_own_connection(token)
    barrier = threading.Barrier(PARALLEL)

    def post(_: int) -> tuple[int, str | None]:
        try:
            client = APIClient(HTTP_HOST=domain)
            barrier.wait()
            response = client.post(
                "/api/v1/pipeline/run",
                {"agents": ["scripted"], "limit": 10},
                format="json",
                HTTP_AUTHORIZATION=f"Bearer {bearer}",
                HTTP_IDEMPOTENCY_KEY="one-key",
            )
            return response.status_code, response.json().get("run_id")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        outcomes = list(pool.map(post, range(PARALLEL)))

    def pipelines() -> list[str]:
        with schema_context(schema):
            return [str(run_id) for run_id in PipelineRun.objects.values_list("run_id", flat=True)]

    created = in_own_connection(pipelines)
    assert len(created) == 1
    assert {status for status, _ in outcomes} <= {202, 409}
    assert {run_id for status, run_id in outcomes if status == 202} == set(created)


# --------------------------------------------------------------------------- read


def test_the_run_list_shows_agent_runs_with_their_pipeline_and_filters(
    api_client, agents, headers_of, django_assert_max_num_queries
):
    headers = headers_of(Role.VIEWER)
    succeeded = _executed_run(["a", "boom"])
    dead = _executed_run(["down"])
    admin_headers = headers_of(Role.ADMIN)
    api_client.post(
        "/api/v1/pipeline/run", {"agents": ["scripted"]}, format="json", **admin_headers
    )
    stage = AgentRun.objects.get(pipeline__isnull=False)

    # user, search path, count, page: constant, whatever the number of rows
    with django_assert_max_num_queries(6):
        everything = api_client.get("/api/v1/runs", **headers).json()
    only_dead = api_client.get("/api/v1/runs", {"status": "dead"}, **headers).json()
    by_api = api_client.get("/api/v1/runs", {"trigger": "api"}, **headers).json()
    pipelines = api_client.get("/api/v1/runs", {"kind": "pipeline"}, **headers).json()

    assert everything["count"] == 3
    rows = {row["run_id"]: row for row in everything["results"]}
    assert rows[str(succeeded.run_id)]["processed"] == 1
    assert rows[str(succeeded.run_id)]["failed"] == 1
    assert rows[str(stage.run_id)]["pipeline_run_id"] == str(stage.pipeline.run_id)
    assert [row["run_id"] for row in only_dead["results"]] == [str(dead.run_id)]
    assert [row["run_id"] for row in by_api["results"]] == [str(stage.run_id)]
    assert [row["kind"] for row in pipelines["results"]] == ["pipeline"]
    assert pipelines["results"][0]["stages"] == ["scripted"]


def test_a_runs_detail_has_counters_failures_and_llm_usage(api_client, agents, headers_of):
    run = _executed_run(["a", "boom", "refused"])
    for tokens in (100, 50):
        LLMCall.objects.create(
            prompt_key="sdr.outreach",
            backend="ollama",
            status="ok",
            run_id=run.run_id,
            prompt_tokens=tokens,
            completion_tokens=10,
        )

    response = api_client.get(f"/api/v1/runs/{run.run_id}", **headers_of(Role.VIEWER))

    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "agent"
    assert body["status"] == "succeeded"
    assert (body["seen"], body["processed"], body["failed"]) == (3, 1, 2)
    assert (body["items_done"], body["items_total"]) == (3, 3)
    assert body["attempts"] == 1
    assert body["duration_s"] is not None
    assert [item["item_id"] for item in body["failed_items"]] == ["boom", "refused"]
    assert body["failed_items"][0]["error"]["type"] == "ValueError"
    assert body["llm_usage"] == {"calls": 2, "tokens_in": 150, "tokens_out": 20}


def test_a_pipelines_detail_lists_its_stage_runs(api_client, agents, headers_of):
    started = api_client.post(
        "/api/v1/pipeline/run", {"agents": ["scripted"]}, format="json", **headers_of("admin")
    ).json()

    response = api_client.get(f"/api/v1/runs/{started['run_id']}", **headers_of(Role.VIEWER))

    body = response.json()
    assert body["kind"] == "pipeline"
    assert [stage["agent"] for stage in body["stage_runs"]] == ["scripted"]
    assert body["llm_usage"] == {"calls": 0, "tokens_in": 0, "tokens_out": 0}


@pytest.mark.parametrize("run_id", [str(uuid.uuid4()), "not-a-uuid"], ids=["unknown", "malformed"])
def test_an_unknown_run_is_not_found(api_client, headers_of, run_id):
    response = api_client.get(f"/api/v1/runs/{run_id}", **headers_of(Role.VIEWER))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --------------------------------------------------------------------------- operate


def test_retrying_a_dead_run_queues_it_again_and_returns_the_audit_row(
    api_client, agents, headers_of
):
    dead = _executed_run(["down"])
    assert dead.status == RunStatus.DEAD

    response = api_client.post(
        f"/api/v1/runs/{dead.run_id}/retry", {}, format="json", **headers_of(Role.ADMIN)
    )

    assert response.status_code == 202, response.content
    body = response.json()
    dead.refresh_from_db()
    assert body["status"] == dead.status == RunStatus.QUEUED
    assert dead.trigger == Trigger.RETRY
    audit = StateTransition.objects.get(pk=body["audit_id"])
    assert (audit.from_state, audit.to_state) == ("dead", "queued")


def test_retrying_a_succeeded_run_is_a_conflict(api_client, agents, headers_of):
    run = _executed_run(["a"])

    response = api_client.post(
        f"/api/v1/runs/{run.run_id}/retry", {}, format="json", **headers_of(Role.ADMIN)
    )

    assert response.status_code == 409
    assert response.json()["error"]["details"]["status"] == "succeeded"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.SDR, Role.FINANCE])
def test_retrying_needs_the_runs_agent_permission(api_client, agents, headers_of, role):
    dead = _executed_run(["down"])

    response = api_client.post(
        f"/api/v1/runs/{dead.run_id}/retry", {}, format="json", **headers_of(role)
    )

    assert response.status_code == 403
    dead.refresh_from_db()
    assert dead.status == RunStatus.DEAD


def test_an_admin_overrides_a_dead_run_with_a_reason(api_client, agents, headers_of):
    dead = _executed_run(["down"])

    response = api_client.post(
        f"/api/v1/runs/{dead.run_id}/manual-override",
        {"action": "mark_succeeded", "reason": "fixed by hand"},
        format="json",
        **headers_of(Role.ADMIN),
    )

    assert response.status_code == 200, response.content
    override = RunOverride.objects.get()
    assert response.json()["audit_id"] == override.pk
    assert response.json()["status"] == "succeeded"
    assert (override.from_status, override.to_status, override.reason) == (
        "dead",
        "succeeded",
        "fixed by hand",
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": "mark_dead", "reason": "x"}, 409, "illegal_transition"),
        ({"action": "explode", "reason": "x"}, 400, "validation_error"),
        ({"action": "cancel"}, 400, "validation_error"),
        ({"action": "cancel", "reason": "   "}, 400, "validation_error"),
    ],
    ids=["illegal-from-succeeded", "unknown-action", "no-reason", "blank-reason"],
)
def test_an_override_the_run_cannot_take_is_refused(
    api_client, agents, headers_of, body, status, code
):
    run = _executed_run(["a"])

    response = api_client.post(
        f"/api/v1/runs/{run.run_id}/manual-override",
        body,
        format="json",
        **headers_of(Role.ADMIN),
    )

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not RunOverride.objects.exists()


def test_an_illegal_override_lists_the_allowed_transitions(api_client, agents, headers_of):
    run = _executed_run(["a"])

    response = api_client.post(
        f"/api/v1/runs/{run.run_id}/manual-override",
        {"action": "mark_dead", "reason": "x"},
        format="json",
        **headers_of(Role.ADMIN),
    )

    assert "allowed_transitions" in response.json()["error"]["details"]


def test_another_tenants_run_is_not_found_here(
    tenant, api_client, agents, headers_of, in_other_tenant
):
    headers = headers_of(Role.ADMIN)
    with in_other_tenant():
        foreign = _executed_run(["down"])
    connection.set_tenant(tenant)

    detail = api_client.get(f"/api/v1/runs/{foreign.run_id}", **headers)
    retry = api_client.post(f"/api/v1/runs/{foreign.run_id}/retry", {}, format="json", **headers)
    listing = api_client.get("/api/v1/runs", **headers)
    elsewhere = APIClient(HTTP_HOST=OTHER_DOMAIN).get(f"/api/v1/runs/{foreign.run_id}", **headers)

    assert (detail.status_code, retry.status_code, elsewhere.status_code) == (404, 404, 401)
    assert listing.json()["count"] == 0
    with in_other_tenant():
        assert AgentRun.objects.get(pk=foreign.pk).status == RunStatus.DEAD
