"""Leads, their status machine, CSV import and replies."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.filters import IsoUtcDateTimeFilter
from revo.api.idempotency import idempotent
from revo.api.mutations import last_audit_id
from revo.api.views import ApiView
from revo.leads import services
from revo.leads.api.serializers import (
    DeletedSerializer,
    ImportReportSerializer,
    LeadCreateInputSerializer,
    LeadDeleteInputSerializer,
    LeadImportInputSerializer,
    LeadMutationSerializer,
    LeadOutputSerializer,
    LeadTransitionInputSerializer,
    LeadUpdateInputSerializer,
    ReplyCreateInputSerializer,
    ReplyOutputSerializer,
)
from revo.leads.csv_import import leads_import_csv
from revo.leads.models import Lead, LeadStatus, Reply, ReplyClassification
from revo.leads.selectors import lead_list

LEADS_TAG = ["leads"]
REPLIES_TAG = ["replies"]
_OWNER_AND_FOLLOW_UP = ("owner", "next_follow_up_at")


class LeadFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=LeadStatus.choices)
    owner = django_filters.NumberFilter(field_name="owner_id")
    source = django_filters.CharFilter()
    country = django_filters.CharFilter()
    company = django_filters.CharFilter(lookup_expr="icontains")
    industry = django_filters.CharFilter(
        method="filter_industry", help_text="Exact industry, any case (e.g. software)."
    )
    company_size_min = django_filters.NumberFilter(field_name="company_size", lookup_expr="gte")
    company_size_max = django_filters.NumberFilter(field_name="company_size", lookup_expr="lte")
    email = django_filters.CharFilter(lookup_expr="icontains")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    created_after = IsoUtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoUtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Lead
        fields = ("status", "owner", "source", "country", "company", "email")

    def filter_industry(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        return queryset.filter(industry=" ".join(value.split()).lower())


class LeadListView(ApiView):
    """Leads of this tenant: list with filters and ordering; create one (status ``new``)."""

    required_permission = {"GET": "leads.view_lead", "POST": "leads.add_lead"}
    filterset_class = LeadFilter
    ordering_fields = (
        "created_at",
        "updated_at",
        "score",
        "email",
        "company",
        "industry",
        "company_size",
        "status",
    )
    ordering = ("-created_at", "-id")
    error_status_codes = (409, 422)

    def get_queryset(self) -> QuerySet[Lead]:
        return lead_list()

    @extend_schema(tags=LEADS_TAG, responses={200: LeadOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), LeadOutputSerializer)

    @extend_schema(
        tags=LEADS_TAG,
        request=LeadCreateInputSerializer,
        responses={201: LeadMutationSerializer},
        description="Create a lead. Status, score and timestamps are set by the system and "
        "refused in the body; an email that already has a lead → 409.",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = LeadCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_create(**data.validated_data, by=request.user)
        lead.audit_id = last_audit_id(lead)
        return Response(LeadMutationSerializer(lead).data, status=status.HTTP_201_CREATED)


class LeadDetailView(ApiView):
    """One lead: read, change its data fields, or delete it (soft: kept for the audit
    trail; its email becomes free)."""

    required_permission = {
        "GET": "leads.view_lead",
        "PATCH": "leads.change_lead",
        "DELETE": "leads.delete_lead",
    }
    error_status_codes = (409, 422)
    filter_backends: list[type] = []  # one object: no list filters

    def get_queryset(self) -> QuerySet[Lead]:
        return lead_list()

    @extend_schema(tags=LEADS_TAG, responses={200: LeadOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(LeadOutputSerializer(self.get_object()).data)

    @extend_schema(
        tags=LEADS_TAG,
        request=LeadUpdateInputSerializer,
        responses={200: LeadMutationSerializer},
        description="Change data fields. Status moves through /transition; score is set by "
        "the SDR agent; both are refused here.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        lead = self.get_object()
        data = LeadUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        extra = {name: values.pop(name) for name in _OWNER_AND_FOLLOW_UP if name in values}
        lead = services.lead_update(lead=lead, data=values, by=request.user, **extra)
        lead.audit_id = None
        return Response(LeadMutationSerializer(lead).data)

    @extend_schema(
        tags=LEADS_TAG, request=LeadDeleteInputSerializer, responses={200: DeletedSerializer}
    )
    def delete(self, request: Request, pk: int) -> Response:
        lead = self.get_object()
        data = LeadDeleteInputSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        lead = services.lead_soft_delete(
            lead=lead, by=request.user, reason=data.validated_data["reason"]
        )
        return Response({"id": lead.pk, "audit_id": last_audit_id(lead)})


class LeadTransitionView(ApiView):
    """Move a lead along its status machine. An illegal move → 409 listing the transitions
    the current status allows."""

    required_permission = "leads.change_lead"
    error_status_codes = (409,)
    filter_backends: list[type] = []  # one object: no list filters

    def get_queryset(self) -> QuerySet[Lead]:
        return Lead.objects.all()

    @extend_schema(
        tags=LEADS_TAG,
        request=LeadTransitionInputSerializer,
        responses={200: LeadMutationSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lead = self.get_object()
        data = LeadTransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_transition(lead=lead, by=request.user, **data.validated_data)
        lead.audit_id = last_audit_id(lead)
        return Response(LeadMutationSerializer(lead).data)


class LeadImportView(ApiView):
    """Import leads from a CSV file (multipart). The file is checked whole first: a file
    that is not CSV or has no email column is refused (422, nothing written). Good rows are
    written; the report lists every row created, updated, skipped or in error."""

    required_permission = "leads.import_leads"
    parser_classes = [MultiPartParser, FormParser]
    error_status_codes = (409, 422)

    @extend_schema(
        tags=LEADS_TAG,
        request={"multipart/form-data": LeadImportInputSerializer},
        responses={200: ImportReportSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = LeadImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = leads_import_csv(
            file=data.validated_data["file"],
            on_existing=data.validated_data["on_existing"],
            source=data.validated_data["source"],
            by=request.user,
        )
        return Response(ImportReportSerializer(report).data)


class ReplyFilter(django_filters.FilterSet):
    lead = django_filters.NumberFilter(field_name="lead_id")
    classification = django_filters.MultipleChoiceFilter(choices=ReplyClassification.choices)
    unclassified = django_filters.BooleanFilter(
        method="filter_unclassified", label="Only replies not classified yet."
    )
    handled = django_filters.BooleanFilter()
    received_after = IsoUtcDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = IsoUtcDateTimeFilter(field_name="received_at", lookup_expr="lt")
    from_email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Reply
        fields = ("lead", "classification", "handled", "from_email")

    def filter_unclassified(self, queryset: QuerySet[Reply], name: str, value: bool) -> QuerySet:
        return queryset.filter(classification="") if value else queryset.exclude(classification="")


class ReplyListView(ApiView):
    """Replies of every lead, newest first, with filters."""

    required_permission = "leads.view_reply"
    filterset_class = ReplyFilter
    ordering_fields = ("received_at", "created_at")
    ordering = ("-received_at", "-id")

    def get_queryset(self) -> QuerySet[Reply]:
        return Reply.objects.filter(lead__deleted_at__isnull=True)

    @extend_schema(tags=REPLIES_TAG, responses={200: ReplyOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), ReplyOutputSerializer)


class LeadReplyListView(ApiView):
    """Replies of one lead; record a reply the lead sent (the SDR agent classifies it)."""

    required_permission = {"GET": "leads.view_reply", "POST": "leads.add_reply"}
    filterset_class = ReplyFilter
    ordering_fields = ("received_at", "created_at")
    ordering = ("-received_at", "-id")

    def get_queryset(self) -> QuerySet[Reply]:
        return Reply.objects.filter(lead_id=self.kwargs.get("pk"))

    def _lead(self) -> Lead:
        lead = Lead.objects.filter(pk=self.kwargs["pk"]).first()
        if lead is None:
            raise Http404
        return lead

    @extend_schema(tags=REPLIES_TAG, responses={200: ReplyOutputSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        lead = self._lead()
        return self.paginated(self.get_queryset().filter(lead=lead), ReplyOutputSerializer)

    @extend_schema(
        tags=REPLIES_TAG,
        request=ReplyCreateInputSerializer,
        responses={201: ReplyOutputSerializer},
        description="Record a reply. The same message_id recorded twice returns the first reply.",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lead = self._lead()
        data = ReplyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.setdefault("from_email", lead.email)
        reply = services.reply_record(lead=lead, **values)
        return Response(ReplyOutputSerializer(reply).data, status=status.HTTP_201_CREATED)
