"""The review queue over the API: list, one artifact's review page, and the decision.

Deciding needs the artifact type's own permission (``REVIEW_PERMISSION``, e.g.
``reviews.decide_outreach``), which only the type in the URL tells. The view therefore
declares ``reviews.view_reviewitem`` (every role that decides anything has it) and
``review_decide`` enforces the per-type permission, the admin-only limit and the
self-approval rule, answering 403 with the reason. ``delegated_permission`` names the
check for readers and for the role matrix test."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.filters import IsoUtcDateTimeFilter
from revo.api.idempotency import idempotent
from revo.api.pagination import CursorOrPagePagination
from revo.api.views import ApiView
from revo.reviews import registry, selectors
from revo.reviews.api.serializers import (
    DecisionInputSerializer,
    DecisionResultSerializer,
    ReviewDetailOutputSerializer,
    ReviewItemOutputSerializer,
    ReviewPageSerializer,
    jsonable,
    review_link,
)
from revo.reviews.models import ReviewItem, ReviewStatus
from revo.reviews.services import review_can_decide, review_decide

TAGS = ["reviews"]
ALL_STATUSES = "all"
ORDERINGS = {
    "oldest": ("created_at", "id"),
    "newest": ("-created_at", "-id"),
    "riskiest": (
        F("confidence").asc(nulls_first=True),
        F("amount").desc(nulls_last=True),
        "id",
    ),
}


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[*ReviewStatus.choices, (ALL_STATUSES, "Any status")],
        method="filter_status",
        help_text="Default pending_review; 'all' for every status.",
    )
    entity_type = django_filters.CharFilter()
    agent = django_filters.CharFilter()
    confidence = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in selectors.CONFIDENCE_BANDS.items()],
        method="filter_confidence",
        help_text="Confidence band.",
    )
    min_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    max_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")
    created_after = IsoUtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoUtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ordering = django_filters.ChoiceFilter(
        choices=[
            ("oldest", "Oldest first"),
            ("riskiest", "Lowest confidence, then largest amount first"),
            ("newest", "Newest first"),
        ],
        method="filter_ordering",
        help_text="Default oldest.",
    )

    class Meta:
        model = ReviewItem
        fields = ("status", "entity_type", "agent")

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == ALL_STATUSES else queryset.filter(status=value)

    def filter_confidence(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.confidence_band_filter(queryset, value)

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*ORDERINGS[value])

    @property
    def qs(self) -> QuerySet:
        queryset = super().qs
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status=ReviewStatus.PENDING_REVIEW)
        if not self.form.cleaned_data.get("ordering"):
            queryset = queryset.order_by(*ORDERINGS["oldest"])
        return queryset


class ReviewListView(ApiView):
    """The review queue: one row per artifact of any type (pending ones by default).

    Paged by cursor: follow `next` and `previous` (a page costs the same at any depth).
    Clients that page by number pass `page` and get `count` as well."""

    required_permission = "reviews.view_reviewitem"
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReviewFilter
    pagination_class = CursorOrPagePagination

    def get_queryset(self) -> QuerySet[ReviewItem]:
        return ReviewItem.objects.all()

    @extend_schema(tags=TAGS, responses={200: ReviewItemOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), ReviewItemOutputSerializer)


def _item_or_404(entity_type: str, entity_id: int) -> ReviewItem:
    artifact_type = registry.artifact_type(entity_type)
    if artifact_type is None:
        raise Http404
    content_type = ContentType.objects.get_for_model(artifact_type.model)
    item = ReviewItem.objects.filter(content_type=content_type, object_id=entity_id).first()
    if item is None:
        raise Http404
    return item


class ReviewDetailView(ApiView):
    """One artifact's review page: its values, the model's original, flags, what it
    belongs to, its history and the decisions taken on it."""

    required_permission = "reviews.view_reviewitem"

    @extend_schema(tags=TAGS, responses={200: ReviewDetailOutputSerializer})
    def get(self, request: Request, entity_type: str, entity_id: int) -> Response:
        item = _item_or_404(entity_type, entity_id)
        artifact = selectors.review_artifact_for(item)
        if artifact is None:
            raise Http404
        allowed, why = review_can_decide(user=request.user, artifact=artifact)
        page: dict[str, Any] = {
            "values": jsonable(artifact.review_editable_values()),
            "editable_fields": list(artifact.REVIEW_EDITABLE_FIELDS),
            "ai_original": jsonable(artifact.ai_original),
            "edited": artifact.edited,
            "flagged_reasons": jsonable(list(artifact.flagged_reasons or [])),
            "context": jsonable(artifact.review_context()),
            "decision_reason": artifact.decision_reason,
            "can_decide": allowed and item.status == ReviewStatus.PENDING_REVIEW,
            "cannot_decide_reason": why,
            "history": [
                {
                    "at": entry.at,
                    "kind": entry.kind,
                    "summary": entry.summary,
                    "actor": entry.actor,
                    "reason": entry.reason,
                    "changes": jsonable({k: list(v) for k, v in entry.changes.items()}),
                }
                for entry in selectors.review_history(item=item, artifact=artifact)
            ],
            "decisions": item.decisions.select_related("by_user").order_by("at", "id"),
        }
        return Response(
            {**ReviewItemOutputSerializer(item).data, **ReviewPageSerializer(page).data}
        )


class ReviewDecisionView(ApiView):
    """Approve, edit and approve, reject (reason required) or ask for a regeneration (the
    reason is the instruction). Of two concurrent decisions exactly one wins; the other
    gets 409. 403 when your role may not decide this artifact type (or it needs an admin,
    or it is your own and the tenant forbids self-approval)."""

    required_permission = {"POST": "reviews.view_reviewitem"}
    delegated_permission = "the artifact type's REVIEW_PERMISSION, checked by review_decide"
    error_status_codes = (409, 422)

    @extend_schema(
        tags=TAGS, request=DecisionInputSerializer, responses={200: DecisionResultSerializer}
    )
    @idempotent
    def post(self, request: Request, entity_type: str, entity_id: int) -> Response:
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if registry.artifact_type(entity_type) is None:
            raise Http404
        result = review_decide(
            entity_type=entity_type,
            entity_id=entity_id,
            decision=data.validated_data["decision"],
            by=request.user,
            reason=data.validated_data["reason"],
            edits=data.validated_data["edits"] or None,
        )
        body = {
            "audit_id": result.decision.pk,
            "entity_type": entity_type,
            "entity_id": result.artifact.pk,
            "decision": result.decision.decision,
            "status": result.artifact.review_status,
            "link": review_link(entity_type, result.artifact.pk),
        }
        return Response(DecisionResultSerializer(body).data, status=status.HTTP_200_OK)
