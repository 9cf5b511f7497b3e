"""The LLM call log, per-agent metrics, and prompt versions (edit, activate, roll back)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.filters import IsoUtcDateTimeFilter, to_utc
from revo.api.idempotency import idempotent
from revo.api.views import ApiView
from revo.llm import selectors, services
from revo.llm.api.metrics import agent_metrics
from revo.llm.api.serializers import (
    AgentMetricsOutputSerializer,
    LLMCallOutputSerializer,
    PromptActivateInputSerializer,
    PromptChangeOutputSerializer,
    PromptDetailSerializer,
    PromptReviseInputSerializer,
    PromptSummarySerializer,
)
from revo.llm.models import LLMCall, LLMCallStatus, PromptTemplate

LOG_TAGS = ["logs and metrics"]
PROMPT_TAGS = ["prompts"]
TEMPLATE_BACKEND = "template"


class LLMCallFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LLMCallStatus.choices)
    backend = django_filters.CharFilter()
    model = django_filters.CharFilter()
    prompt_key = django_filters.CharFilter()
    prompt_version = django_filters.NumberFilter()
    agent = django_filters.CharFilter()
    run_id = django_filters.UUIDFilter()
    is_template = django_filters.BooleanFilter(method="filter_is_template")
    created_after = IsoUtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoUtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = LLMCall
        fields = ("status", "backend", "model", "prompt_key", "agent", "run_id")

    def filter_is_template(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if value:
            return queryset.filter(backend=TEMPLATE_BACKEND)
        return queryset.exclude(backend=TEMPLATE_BACKEND)


class LLMCallLogView(ApiView):
    """Every LLM call: prompt version, model, backend, latency, tokens, status, run."""

    required_permission = "llm.view_llmcall"
    filterset_class = LLMCallFilter
    ordering_fields = ("created_at", "latency_ms")
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[LLMCall]:
        return LLMCall.objects.defer("artifact_content_type", "artifact_object_id", "endpoint")

    @extend_schema(tags=LOG_TAGS, responses={200: LLMCallOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), LLMCallOutputSerializer)


class MetricsWindowSerializer(serializers.Serializer):
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


class AgentMetricsView(ApiView):
    """Per agent and per prompt version: runs, success rate, items, artifacts, approval /
    edit / rejection rates, median review wait, LLM latency and tokens."""

    required_permission = "agents.view_agentrun"
    error_status_codes = (400,)

    @extend_schema(
        tags=LOG_TAGS,
        parameters=[
            OpenApiParameter("created_after", OpenApiTypes.DATETIME),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME),
        ],
        responses={200: AgentMetricsOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        window = MetricsWindowSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        since, until = (
            window.validated_data.get(name) for name in ("created_after", "created_before")
        )
        try:
            rows = agent_metrics(
                since=to_utc(since) if since else None, until=to_utc(until) if until else None
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"created_after": exc.messages}) from None
        return Response(AgentMetricsOutputSerializer({"agents": rows}).data)


class PromptListView(ApiView):
    """The active version of each prompt, with how many versions it has."""

    required_permission = "llm.view_prompttemplate"

    def get_queryset(self) -> QuerySet[PromptTemplate]:
        counts = (
            PromptTemplate.objects.filter(key=OuterRef("key"))
            .order_by()
            .values("key")
            .annotate(n=Count("id"))
            .values("n")
        )
        return (
            selectors.prompt_versions(active=True)
            .annotate(version_count=Coalesce(Subquery(counts), 0))
            .order_by("key")
        )

    @extend_schema(tags=PROMPT_TAGS, responses={200: PromptSummarySerializer(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PromptSummarySerializer(page, many=True).data)


def _versions_or_404(key: str) -> list[PromptTemplate]:
    versions = list(selectors.prompt_versions(key=key))
    if not versions:
        raise Http404
    return versions


def _change_body(prompt: PromptTemplate, previous: PromptTemplate | None) -> dict[str, Any]:
    return PromptChangeOutputSerializer(
        {
            "prompt_id": prompt.pk,
            "key": prompt.key,
            "version": prompt.version,
            "is_active": prompt.is_active,
            "previous_active_version": previous.version if previous else None,
            "link": f"/api/v1/prompts/{prompt.key}",
        }
    ).data


class PromptDetailView(ApiView):
    """Every version of one prompt (GET); an admin's edit creates a new version (PATCH)
    built from the active one with the fields given; versions are never changed."""

    required_permission = {
        "GET": "llm.view_prompttemplate",
        "PATCH": "llm.change_prompttemplate",
    }

    @extend_schema(tags=PROMPT_TAGS, responses={200: PromptDetailSerializer})
    def get(self, request: Request, prompt_key: str) -> Response:
        versions = _versions_or_404(prompt_key)
        active = next((v for v in versions if v.is_active), None)
        return Response(
            PromptDetailSerializer(
                {
                    "key": prompt_key,
                    "active_version": active.version if active else None,
                    "versions": versions,
                }
            ).data
        )

    @extend_schema(
        tags=PROMPT_TAGS,
        request=PromptReviseInputSerializer,
        responses={201: PromptChangeOutputSerializer},
    )
    def patch(self, request: Request, prompt_key: str) -> Response:
        versions = _versions_or_404(prompt_key)
        data = PromptReviseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        note, activate = changes.pop("note"), changes.pop("activate")
        if not changes:
            raise serializers.ValidationError({"non_field_errors": ["Nothing to change."]})
        active = next((v for v in versions if v.is_active), None)
        prompt = services.prompt_version_revise(
            base=active or versions[0],
            changes=changes,
            author=request.user,
            note=note,
            activate=activate,
        )
        return Response(_change_body(prompt, active), status=status.HTTP_201_CREATED)


class PromptActivateView(ApiView):
    """Make a version the active one; activating an older version is the rollback."""

    required_permission = {"POST": "llm.change_prompttemplate"}

    @extend_schema(
        tags=PROMPT_TAGS,
        request=PromptActivateInputSerializer,
        responses={200: PromptChangeOutputSerializer},
    )
    @idempotent
    def post(self, request: Request, prompt_key: str) -> Response:
        data = PromptActivateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        versions = _versions_or_404(prompt_key)
        target = next((v for v in versions if v.version == data.validated_data["version"]), None)
        if target is None:
            raise Http404
        previous = next((v for v in versions if v.is_active), None)
        prompt = services.prompt_activate(prompt=target, by=request.user)
        return Response(_change_body(prompt, previous))
