"""Invoices (read, PDF), and the payments received against them."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.exceptions import Conflict
from revo.api.idempotency import idempotent
from revo.api.mutations import last_audit_id
from revo.api.views import ApiView
from revo.billing.api.serializers import (
    InvoiceDetailOutputSerializer,
    InvoiceOutputSerializer,
    PaymentInputSerializer,
    PaymentMutationSerializer,
    PaymentOutputSerializer,
)
from revo.billing.dates import tenant_today
from revo.billing.models import Invoice, InvoiceLine, InvoiceStatus, Payment
from revo.billing.selectors import invoices_overdue
from revo.billing.services import payment_record

INVOICES_TAG = ["invoices"]


class InvoiceFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=InvoiceStatus.choices)
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Open invoices with a balance past their due date."
    )
    contract = django_filters.NumberFilter(field_name="contract_id")
    number = django_filters.CharFilter()
    currency = django_filters.CharFilter()
    customer_email = django_filters.CharFilter(lookup_expr="iexact")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Invoice
        fields = ("status", "contract", "number", "currency", "customer_email")

    def filter_overdue(
        self, queryset: QuerySet[Invoice], name: str, value: bool
    ) -> QuerySet[Invoice]:
        overdue = invoices_overdue(tenant_today()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


def _context() -> dict[str, Any]:
    return {"today": tenant_today()}


class InvoiceListView(ApiView):
    """Invoices with filters (``overdue=true`` for the dunning view) and ordering.
    Invoices are drafted from signed contracts and issued through the review queue."""

    required_permission = "billing.view_invoice"
    filterset_class = InvoiceFilter
    ordering_fields = ("created_at", "due_date", "issue_date", "total", "balance", "number")
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Invoice]:
        return Invoice.objects.all()

    @extend_schema(tags=INVOICES_TAG, responses={200: InvoiceOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = InvoiceOutputSerializer(page, many=True, context=_context()).data
        return self.get_paginated_response(data)


class InvoiceDetailView(ApiView):
    """One invoice with its lines, payments and totals."""

    required_permission = "billing.view_invoice"
    filter_backends: list[type] = []  # one object: no list filters

    def get_queryset(self) -> QuerySet[Invoice]:
        return Invoice.objects.prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")), "payments"
        )

    @extend_schema(tags=INVOICES_TAG, responses={200: InvoiceDetailOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        invoice = self.get_object()
        return Response(InvoiceDetailOutputSerializer(invoice, context=_context()).data)


class InvoicePaymentListView(ApiView):
    """Payments received against an invoice; record one. A payment larger than the open
    balance is refused (422); an invoice that is not issued → 409."""

    required_permission = {"GET": "billing.view_payment", "POST": "billing.add_payment"}
    error_status_codes = (409, 422)
    filter_backends: list[type] = []  # one object: no list filters

    def get_queryset(self) -> QuerySet[Invoice]:
        return Invoice.objects.all()

    @extend_schema(tags=INVOICES_TAG, responses={200: PaymentOutputSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        invoice = self.get_object()
        page = self.paginate_queryset(
            Payment.objects.filter(invoice=invoice).order_by("received_on", "id")
        )
        return self.get_paginated_response(PaymentOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=INVOICES_TAG,
        request=PaymentInputSerializer,
        responses={201: PaymentMutationSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        invoice = self.get_object()
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payment_record(invoice=invoice, by=request.user, **data.validated_data)
        payment.audit_id = last_audit_id(invoice)
        return Response(PaymentMutationSerializer(payment).data, status=status.HTTP_201_CREATED)


class InvoicePdfView(ApiView):
    """The issued invoice's PDF, as stored when it was issued. An invoice not issued yet has
    no PDF (409)."""

    required_permission = "billing.view_invoice"
    renderer_classes = [JSONRenderer]
    filter_backends: list[type] = []  # one object: no list filters
    error_status_codes = (409,)

    def get_queryset(self) -> QuerySet[Invoice]:
        return Invoice.objects.all()

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The document is a PDF whatever the client accepts; errors are always JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=INVOICES_TAG,
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The invoice document."
            )
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        invoice = self.get_object()
        if not invoice.pdf:
            raise Conflict(
                f"invoice {invoice.pk} is {invoice.status}; it has no PDF until it is issued"
            )
        with invoice.pdf.open("rb") as stored:
            content = stored.read()
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        return response
