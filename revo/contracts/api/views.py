"""Contracts (read, revise) and their negotiation rounds."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.idempotency import idempotent
from revo.api.mutations import last_audit_id
from revo.api.views import ApiView
from revo.contracts.api.serializers import (
    ContractDetailOutputSerializer,
    ContractMutationSerializer,
    ContractOutputSerializer,
    ContractReviseInputSerializer,
    NegotiationRoundInputSerializer,
    NegotiationRoundMutationSerializer,
    NegotiationRoundOutputSerializer,
)
from revo.contracts.models import Contract, ContractLine, ContractStatus, NegotiationRound
from revo.contracts.selectors import contract_list
from revo.contracts.services import contract_revise, negotiation_round_record

CONTRACTS_TAG = ["contracts"]


class ContractFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ContractStatus.choices)
    deal = django_filters.NumberFilter(field_name="deal_id")
    currency = django_filters.CharFilter()
    total_min = django_filters.NumberFilter(field_name="total", lookup_expr="gte")
    total_max = django_filters.NumberFilter(field_name="total", lookup_expr="lte")
    requires_admin_approval = django_filters.BooleanFilter()

    class Meta:
        model = Contract
        fields = ("status", "deal", "currency", "requires_admin_approval")


def _with_lines(queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    return queryset.prefetch_related(
        Prefetch("lines", queryset=ContractLine.objects.order_by("position"))
    )


class ContractListView(ApiView):
    """Contracts (every revision) with filters and ordering. Contracts are drafted by the
    negotiation agent and decided in the review queue."""

    required_permission = "contracts.view_contract"
    filterset_class = ContractFilter
    ordering_fields = ("created_at", "updated_at", "total", "revision", "status")
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Contract]:
        return contract_list()

    @extend_schema(tags=CONTRACTS_TAG, responses={200: ContractOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), ContractOutputSerializer)


class _ContractObjectView(ApiView):
    error_status_codes = (409, 422)
    filter_backends: list[type] = []  # one object: no list filters

    def get_queryset(self) -> QuerySet[Contract]:
        return _with_lines(contract_list())


class ContractDetailView(_ContractObjectView):
    """One contract revision with its lines and the totals computed from them."""

    required_permission = "contracts.view_contract"

    @extend_schema(tags=CONTRACTS_TAG, responses={200: ContractDetailOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ContractDetailOutputSerializer(self.get_object()).data)


class ContractReviseView(_ContractObjectView):
    """Start a new draft revision with the same lines and terms; the old one is voided
    unless signed. A revision already revised → 409."""

    required_permission = "contracts.change_contract"

    @extend_schema(
        tags=CONTRACTS_TAG,
        request=ContractReviseInputSerializer,
        responses={201: ContractMutationSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        contract = self.get_object()
        data = ContractReviseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = contract_revise(
            contract=contract, by=request.user, reason=data.validated_data["reason"]
        )
        new = self.get_queryset().get(pk=new.pk)
        new.audit_id = last_audit_id(new)
        return Response(ContractMutationSerializer(new).data, status=status.HTTP_201_CREATED)


class ContractRoundListView(_ContractObjectView):
    """Negotiation rounds of a contract, in order. Record a customer's counter-offer (the
    negotiation agent answers it) or an offer of ours."""

    required_permission = {
        "GET": "contracts.view_negotiationround",
        "POST": "contracts.add_negotiationround",
    }

    def get_queryset(self) -> QuerySet[Contract]:
        return contract_list()

    @extend_schema(tags=CONTRACTS_TAG, responses={200: NegotiationRoundOutputSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        contract = self.get_object()
        rounds = NegotiationRound.objects.filter(contract=contract)
        page = self.paginate_queryset(rounds.order_by("number"))
        return self.get_paginated_response(NegotiationRoundOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=CONTRACTS_TAG,
        request=NegotiationRoundInputSerializer,
        responses={201: NegotiationRoundMutationSerializer},
        description="The round number, currency and author are set by the system. A closed "
        "contract → 409; our offer beyond the pricing floor → 422.",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        contract = self.get_object()
        data = NegotiationRoundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        negotiation_round = negotiation_round_record(
            contract=contract, by=request.user, **data.validated_data
        )
        negotiation_round.audit_id = last_audit_id(contract)
        return Response(
            NegotiationRoundMutationSerializer(negotiation_round).data,
            status=status.HTTP_201_CREATED,
        )
