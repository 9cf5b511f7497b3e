"""The outbox (read), bounces and complaints reported to the API, and the suppression
list."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.idempotency import idempotent
from revo.api.views import ApiView
from revo.mail.api.serializers import (
    EmailMessageOutputSerializer,
    MailEventInputSerializer,
    MailEventOutputSerializer,
    SuppressionInputSerializer,
    SuppressionOutputSerializer,
)
from revo.mail.models import EmailKind, EmailMessage, EmailStatus, Suppression, SuppressionReason
from revo.mail.selectors import email_messages_list, suppression_get
from revo.mail.services import mail_event_record, suppression_add

MAIL_TAG = ["mail"]


class EmailMessageFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=EmailStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=EmailKind.choices)
    to_email = django_filters.CharFilter(lookup_expr="iexact")
    artifact_id = django_filters.NumberFilter()

    class Meta:
        model = EmailMessage
        fields = ("status", "kind", "to_email", "artifact_id")


class EmailMessageListView(ApiView):
    """The outbox: every outbound email and where it stands. ``suppressed``: the recipient
    is on the suppression list; ``cancelled``: withdrawn on purpose before it left, by a
    person or held back by its artifact at send time (``cancel_reason`` says why)."""

    required_permission = "mail.view_emailmessage"
    filterset_class = EmailMessageFilter
    ordering_fields = ("created_at", "sent_at", "status")
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[EmailMessage]:
        return email_messages_list()

    @extend_schema(tags=MAIL_TAG, responses={200: EmailMessageOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), EmailMessageOutputSerializer)


class MailEventView(ApiView):
    """Report a hard bounce or a complaint for an address: it is suppressed at once (never
    emailed again) and the artifact of the message concerned hears of it."""

    required_permission = "mail.add_mailevent"

    @extend_schema(
        tags=MAIL_TAG, request=MailEventInputSerializer, responses={201: MailEventOutputSerializer}
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = MailEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = mail_event_record(**data.validated_data)
        suppression = suppression_get(event.email)
        event.suppression_id = suppression.pk if suppression else None
        return Response(MailEventOutputSerializer(event).data, status=status.HTTP_201_CREATED)


class SuppressionFilter(django_filters.FilterSet):
    reason = django_filters.MultipleChoiceFilter(choices=SuppressionReason.choices)
    email = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Suppression
        fields = ("reason", "email")


class SuppressionListView(ApiView):
    """Addresses this tenant never emails again; add one by hand (reason ``manual``).
    Adding an address already on the list returns its existing entry."""

    required_permission = {"GET": "mail.view_suppression", "POST": "mail.add_suppression"}
    filterset_class = SuppressionFilter
    ordering_fields = ("created_at", "email")
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Suppression]:
        return Suppression.objects.all()

    @extend_schema(tags=MAIL_TAG, responses={200: SuppressionOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), SuppressionOutputSerializer)

    @extend_schema(
        tags=MAIL_TAG,
        request=SuppressionInputSerializer,
        responses={201: SuppressionOutputSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = SuppressionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        suppression = suppression_add(
            email=data.validated_data["email"],
            reason=SuppressionReason.MANUAL,
            source=f"api:{request.user.email}"[:100],
            detail=data.validated_data["detail"],
        )
        return Response(
            SuppressionOutputSerializer(suppression).data, status=status.HTTP_201_CREATED
        )
