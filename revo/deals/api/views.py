"""Deals: opened from a qualified lead, edited while open, moved through their stages."""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.idempotency import idempotent
from revo.api.mutations import last_audit_id
from revo.api.views import ApiView
from revo.deals import services
from revo.deals.api.serializers import (
    BANT_FIELDS,
    DealAdvanceInputSerializer,
    DealCreateInputSerializer,
    DealLostInputSerializer,
    DealMutationSerializer,
    DealOutputSerializer,
    DealUpdateInputSerializer,
    DealWonInputSerializer,
)
from revo.deals.models import OPEN_DEAL_STAGES, Deal, DealStage
from revo.deals.selectors import deal_list

DEALS_TAG = ["deals"]


class DealFilter(django_filters.FilterSet):
    stage = django_filters.MultipleChoiceFilter(choices=DealStage.choices)
    open = django_filters.BooleanFilter(method="filter_open", label="Only open deals.")
    lead = django_filters.NumberFilter(field_name="lead_id")
    owner = django_filters.NumberFilter(field_name="owner_id")
    currency = django_filters.CharFilter()
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")
    expected_close_after = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte"
    )
    expected_close_before = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte"
    )

    class Meta:
        model = Deal
        fields = ("stage", "lead", "owner", "currency")

    def filter_open(self, queryset: QuerySet[Deal], name: str, value: bool) -> QuerySet[Deal]:
        if value:
            return queryset.filter(stage__in=OPEN_DEAL_STAGES)
        return queryset.exclude(stage__in=OPEN_DEAL_STAGES)


def _respond(deal: Deal, status_code: int = status.HTTP_200_OK) -> Response:
    deal.audit_id = last_audit_id(deal)
    return Response(DealMutationSerializer(deal).data, status=status_code)


class DealListView(ApiView):
    """Deals: list with filters and ordering; open a deal from a qualified lead (the lead
    becomes converted in the same transaction)."""

    required_permission = {"GET": "deals.view_deal", "POST": "deals.add_deal"}
    filterset_class = DealFilter
    ordering_fields = ("created_at", "updated_at", "amount", "expected_close_date", "stage")
    ordering = ("-created_at", "-id")
    error_status_codes = (409, 422)

    def get_queryset(self) -> QuerySet[Deal]:
        return deal_list()

    @extend_schema(tags=DEALS_TAG, responses={200: DealOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), DealOutputSerializer)

    @extend_schema(
        tags=DEALS_TAG,
        request=DealCreateInputSerializer,
        responses={201: DealMutationSerializer},
        description="Stage and probability are set by the system; a lead that is not "
        "qualified → 409.",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = DealCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        qualification = {name: values.pop(name) for name in BANT_FIELDS if name in values}
        deal = services.deal_create_from_lead(
            **values, qualification=qualification, by=request.user
        )
        return _respond(deal, status.HTTP_201_CREATED)


class _DealObjectView(ApiView):
    error_status_codes = (409, 422)
    filter_backends: list[type] = []  # one object: no list filters

    def get_queryset(self) -> QuerySet[Deal]:
        return deal_list()

    def _change(self, request: Request, input_class: type, change: Callable[..., Deal]) -> Response:
        """Validate the body with ``input_class`` and apply ``change`` to this deal."""
        deal = self.get_object()
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        return _respond(change(deal=deal, by=request.user, **data.validated_data))


class DealDetailView(_DealObjectView):
    """One deal; edit an open deal's fields (the stage moves through its own endpoints)."""

    required_permission = {"GET": "deals.view_deal", "PATCH": "deals.change_deal"}

    @extend_schema(tags=DEALS_TAG, responses={200: DealOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(DealOutputSerializer(self.get_object()).data)

    @extend_schema(
        tags=DEALS_TAG, request=DealUpdateInputSerializer, responses={200: DealMutationSerializer}
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._change(request, DealUpdateInputSerializer, services.deal_update)


class DealAdvanceView(_DealObjectView):
    """Move a deal to a later stage (qualification → proposal → negotiation → won; any open
    stage → lost with a reason). An illegal move → 409 with the allowed transitions."""

    required_permission = "deals.change_deal"

    @extend_schema(
        tags=DEALS_TAG, request=DealAdvanceInputSerializer, responses={200: DealMutationSerializer}
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        return self._change(request, DealAdvanceInputSerializer, services.deal_advance)


class DealLostView(_DealObjectView):
    """Close an open deal as lost; the reason is required and kept on the deal."""

    required_permission = "deals.change_deal"

    @extend_schema(
        tags=DEALS_TAG, request=DealLostInputSerializer, responses={200: DealMutationSerializer}
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        return self._change(request, DealLostInputSerializer, services.deal_mark_lost)


class DealWonView(_DealObjectView):
    """Close a deal in negotiation as won."""

    required_permission = "deals.change_deal"

    @extend_schema(
        tags=DEALS_TAG, request=DealWonInputSerializer, responses={200: DealMutationSerializer}
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        return self._change(request, DealWonInputSerializer, services.deal_mark_won)
