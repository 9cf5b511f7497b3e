"""Starting agent and pipeline runs, following them, retrying and overriding them.

Starting or retrying one agent's run needs ``agents.run_<agent>``, which only the agent in
the URL or the run tells: those views declare ``agents.view_agentrun`` (every role) and
check the agent's own permission themselves (``delegated_permission``), answering 403."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from revo.accounts.roles import role_has_permission
from revo.agents import base, selectors, services
from revo.agents.api.serializers import (
    AgentRunDetailSerializer,
    AgentRunInputSerializer,
    OverrideInputSerializer,
    PipelineRunDetailSerializer,
    PipelineRunInputSerializer,
    RunActionOutputSerializer,
    RunCreatedSerializer,
    RunListOutputSerializer,
    run_link,
)
from revo.agents.models import AgentRun, ItemOutcome, PipelineRun, RunStatus, Trigger
from revo.api.exceptions import Unprocessable
from revo.api.filters import IsoUtcDateTimeFilter
from revo.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from revo.api.views import ApiView
from revo.audit.models import StateTransition

TAGS = ["runs"]
FAILED_ITEMS_SHOWN = 100
_KEY_MAX = 120


def _service_key(request: Request, scope: str) -> str | None:
    """The run's idempotency key: the client's ``Idempotency-Key`` scoped to the user and
    what is started, so two users' keys never meet."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if not key:
        return None
    if len(key) > _KEY_MAX:
        key = hashlib.sha256(key.encode()).hexdigest()
    return f"api:{request.user.pk}:{scope}:{key}"


def _check_agent_permission(request: Request, agent: str) -> None:
    if not role_has_permission(request.user.role, f"agents.run_{agent}"):
        raise PermissionDenied(f"Your role may not run the {agent} agent.")


def _created(created: services.Created, kind: str) -> Response:
    run = created.run
    body = RunCreatedSerializer(
        {
            "run_id": run.run_id,
            "kind": kind,
            "status": run.status,
            "created": created.created,
            "link": run_link(run.run_id),
        }
    ).data
    return Response(
        body, status=status.HTTP_202_ACCEPTED, headers={"Location": run_link(run.run_id)}
    )


class AgentRunCreateView(ApiView):
    """Queue a run of one agent; follow it at the Location. With an Idempotency-Key the
    same key returns the first run instead of starting another."""

    required_permission = {"POST": "agents.view_agentrun"}
    delegated_permission = "agents.run_<agent_name>, checked by the view"
    error_status_codes = (422,)

    @extend_schema(
        tags=TAGS, request=AgentRunInputSerializer, responses={202: RunCreatedSerializer}
    )
    @idempotent
    def post(self, request: Request, agent_name: str) -> Response:
        if agent_name not in base.agent_names():
            raise Http404
        _check_agent_permission(request, agent_name)
        data = AgentRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.agent_run_create(
            agent=agent_name,
            trigger=Trigger.API,
            requested_by=request.user,
            idempotency_key=_service_key(request, f"agent:{agent_name}"),
            limit=data.validated_data.get("limit"),
            options=data.validated_data["options"],
        )
        return _created(created, "agent")


class PipelineRunCreateView(ApiView):
    """Queue a pipeline run: the agents in order, one stage after the other."""

    required_permission = {"POST": "agents.run_pipeline"}
    error_status_codes = (422,)

    @extend_schema(
        tags=TAGS, request=PipelineRunInputSerializer, responses={202: RunCreatedSerializer}
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = PipelineRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stages = data.validated_data.get("agents") or base.agent_names()
        if not stages:
            raise Unprocessable("No agents are registered in this deployment.")
        created = services.pipeline_run_create(
            trigger=Trigger.API,
            agents=stages,
            requested_by=request.user,
            idempotency_key=_service_key(request, "pipeline"),
            limit=data.validated_data.get("limit"),
        )
        return _created(created, "pipeline")


class _RunFilterBase(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        choices=[("agent", "Agent runs"), ("pipeline", "Pipeline runs")],
        method="filter_kind",
        help_text="Default agent (each stage of a pipeline is an agent run).",
    )
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices)
    created_after = IsoUtcDateTimeFilter(field_name="queued_at", lookup_expr="gte")
    created_before = IsoUtcDateTimeFilter(field_name="queued_at", lookup_expr="lt")

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # the view picks the model


class AgentRunFilter(_RunFilterBase):
    agent = django_filters.CharFilter()
    pipeline_run_id = django_filters.UUIDFilter(field_name="pipeline__run_id")

    class Meta:
        model = AgentRun
        fields = ("agent", "status", "trigger")


class PipelineRunFilter(_RunFilterBase):
    agent = django_filters.CharFilter(method="filter_agent")
    pipeline_run_id = django_filters.UUIDFilter(field_name="run_id")

    class Meta:
        model = PipelineRun
        fields = ("status", "trigger")

    def filter_agent(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(stages__contains=[value])


class RunListView(ApiView):
    """Agent runs (each pipeline stage is one, with its pipeline's run id), or pipeline
    runs with ``kind=pipeline``; newest first."""

    required_permission = "agents.view_agentrun"
    filterset_class = AgentRunFilter
    ordering_fields = ("queued_at", "started_at", "finished_at")
    ordering = ("-queued_at", "-id")

    def get_queryset(self) -> QuerySet:
        if self.request.query_params.get("kind") == "pipeline":
            self.filterset_class = PipelineRunFilter
            return PipelineRun.objects.select_related("requested_by")
        return AgentRun.objects.select_related("requested_by", "pipeline")

    @extend_schema(tags=TAGS, responses={200: RunListOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), RunListOutputSerializer)


def _parse_run_id(run_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(run_id)
    except ValueError:
        raise Http404 from None


def _usage_total(usages: list[dict[str, int]]) -> dict[str, int]:
    return {k: sum(u.get(k, 0) for u in usages) for k in ("calls", "tokens_in", "tokens_out")}


def _agent_run_detail(run: AgentRun) -> dict[str, Any]:
    usage = selectors.llm_usage_by_run([run.run_id]).get(str(run.run_id), {})
    failed = run.items.filter(outcome=ItemOutcome.FAILED).order_by("id")[:FAILED_ITEMS_SHOWN]
    return AgentRunDetailSerializer(
        _Row(
            {
                **{f: getattr(run, f) for f in _RUN_ATTRS},
                "failed_items": failed,
                "items_done": run.items.filter(attempt=run.attempts).count(),
                "llm_usage": _usage_total([usage]),
                "overrides": run.overrides.select_related("by_user").order_by("at"),
            }
        )
    ).data


_RUN_ATTRS = (
    "run_id",
    "status",
    "trigger",
    "requested_by",
    "requested_by_id",
    "attempts",
    "max_attempts",
    "queued_at",
    "started_at",
    "finished_at",
    "duration_s",
    "agent",
    "pipeline",
    "pipeline_id",
    "stage_index",
    "seen",
    "processed",
    "skipped",
    "failed",
    "artifacts_created",
    "auto_approved",
    "items_total",
    "options",
    "error_payload",
    "heartbeat_at",
    "worker",
)


class _Row(dict):
    """A dict readable as attributes, for the serializers' method fields."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


RUN_DETAIL = PolymorphicProxySerializer(
    component_name="RunDetail",
    serializers=[AgentRunDetailSerializer, PipelineRunDetailSerializer],
    resource_type_field_name="kind",
)


class RunDetailView(ApiView):
    """One run: counters, attempts, error, timing, failed items and LLM usage; for a
    pipeline run, its stage runs."""

    required_permission = "agents.view_agentrun"

    @extend_schema(tags=TAGS, responses={200: RUN_DETAIL})
    def get(self, request: Request, run_id: str) -> Response:
        key = _parse_run_id(run_id)
        run = AgentRun.objects.select_related("requested_by", "pipeline").filter(run_id=key).first()
        if run is not None:
            return Response(_agent_run_detail(run))
        pipeline = PipelineRun.objects.select_related("requested_by").filter(run_id=key).first()
        if pipeline is None:
            raise Http404
        stages = list(selectors.runs_for_pipeline(pipeline).select_related("requested_by"))
        usage = selectors.llm_usage_by_run([stage.run_id for stage in stages])
        return Response(
            PipelineRunDetailSerializer(
                _Row(
                    {
                        **{
                            f: getattr(pipeline, f)
                            for f in (
                                "run_id",
                                "status",
                                "trigger",
                                "requested_by",
                                "requested_by_id",
                                "attempts",
                                "max_attempts",
                                "queued_at",
                                "started_at",
                                "finished_at",
                                "duration_s",
                                "stages",
                                "options",
                                "error_payload",
                            )
                        },
                        "stage_runs": stages,
                        "llm_usage": _usage_total(list(usage.values())),
                    }
                )
            ).data
        )


def _last_audit_id(run: AgentRun) -> int:
    return (
        StateTransition.objects.filter(
            content_type=ContentType.objects.get_for_model(AgentRun), object_id=str(run.pk)
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


def _agent_run_or_404(run_id: str) -> AgentRun:
    run = AgentRun.objects.filter(run_id=_parse_run_id(run_id)).first()
    if run is None:
        raise Http404
    return run


class RunRetryView(ApiView):
    """Re-drive a dead run or retry a failed one now (409 for any other state)."""

    required_permission = {"POST": "agents.view_agentrun"}
    delegated_permission = "agents.run_<the run's agent>, checked by the view"
    error_status_codes = (409,)

    @extend_schema(tags=TAGS, request=None, responses={202: RunActionOutputSerializer})
    @idempotent
    def post(self, request: Request, run_id: str) -> Response:
        run = _agent_run_or_404(run_id)
        _check_agent_permission(request, run.agent)
        run = services.agent_run_retry(run_id=str(run.run_id), by=request.user)
        body = {
            "run_id": run.run_id,
            "status": run.status,
            "audit_id": _last_audit_id(run),
            "link": run_link(run.run_id),
        }
        return Response(
            RunActionOutputSerializer(body).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": run_link(run.run_id)},
        )


class RunOverrideView(ApiView):
    """An admin forces a run's state (cancel, mark_succeeded, mark_dead) with a reason;
    audited. 409 lists the transitions the run's state allows."""

    required_permission = {"POST": "agents.override_run"}
    error_status_codes = (409, 422)

    @extend_schema(
        tags=TAGS, request=OverrideInputSerializer, responses={200: RunActionOutputSerializer}
    )
    @idempotent
    def post(self, request: Request, run_id: str) -> Response:
        data = OverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = _agent_run_or_404(run_id)
        override = services.agent_run_override(
            run_id=str(run.run_id),
            action=data.validated_data["action"],
            by=request.user,
            reason=data.validated_data["reason"],
        )
        body = {
            "run_id": run.run_id,
            "status": override.to_status,
            "audit_id": override.pk,
            "link": run_link(run.run_id),
        }
        return Response(RunActionOutputSerializer(body).data)
