"""Serializer bases: input serializers refuse keys they do not accept."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that rejects unknown and read-only keys with a 400 naming them,
    instead of silently ignoring them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only} | {
                field.source for field in self.fields.values() if not field.read_only
            }
            errors = {
                key: [
                    "This field is read-only."
                    if key in self.fields
                    else "Unknown field; it is not accepted here."
                ]
                for key in data
                if key not in writable
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code.")
    message = serializers.CharField()
    details = serializers.DictField(
        help_text="Field errors, allowed transitions, retry delay or error id."
    )
    correlation_id = serializers.CharField(allow_null=True, help_text="The request's X-Request-ID.")


class ErrorEnvelopeSerializer(serializers.Serializer):
    """The body of every error response."""

    error = ErrorDetailSerializer()
