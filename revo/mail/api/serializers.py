from __future__ import annotations

from rest_framework import serializers

from revo.api.serializers import StrictInputSerializer
from revo.mail.models import EmailMessage, MailEvent, MailEventKind, Suppression


class MailEventInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    kind = serializers.ChoiceField(choices=MailEventKind.choices)
    detail = serializers.CharField(max_length=5000, required=False, default="", allow_blank=True)
    provider_message_id = serializers.CharField(
        max_length=255,
        required=False,
        default="",
        allow_blank=True,
        help_text="Message-ID of the email the event concerns, when the provider says.",
    )
    source = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class MailEventOutputSerializer(serializers.ModelSerializer):
    suppression_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The suppression entry of the address."
    )

    class Meta:
        model = MailEvent
        fields = (
            "id",
            "email",
            "kind",
            "detail",
            "provider_message_id",
            "message",
            "source",
            "suppression_id",
            "created_at",
        )
        read_only_fields = fields


class SuppressionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Suppression
        fields = ("id", "email", "reason", "source", "detail", "created_at")
        read_only_fields = fields


class SuppressionInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    detail = serializers.CharField(max_length=5000, required=False, default="", allow_blank=True)


class EmailMessageOutputSerializer(serializers.ModelSerializer):
    artifact_type = serializers.SerializerMethodField(
        help_text="The artifact the email belongs to, as app_label.model (null for none)."
    )

    class Meta:
        model = EmailMessage
        fields = (
            "id",
            "to_email",
            "to_name",
            "from_email",
            "subject",
            "kind",
            "status",
            "cancel_reason",
            "error",
            "outcome_unknown",
            "attempts",
            "not_before",
            "sent_at",
            "sandboxed",
            "artifact_type",
            "artifact_id",
            "message_id",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_artifact_type(self, message: EmailMessage) -> str | None:
        content_type = message.artifact_content_type
        return f"{content_type.app_label}.{content_type.model}" if content_type else None
