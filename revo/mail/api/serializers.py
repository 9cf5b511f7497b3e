from __future__ import annotations

from rest_framework import serializers

from revo.api.serializers import StrictInputSerializer
from revo.mail.models import MailEvent, MailEventKind, Suppression


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
