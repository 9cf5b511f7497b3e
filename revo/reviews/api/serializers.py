"""Serializers of the review queue API."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework import serializers

from revo.api.serializers import StrictInputSerializer
from revo.reviews.models import ReviewDecisionKind, ReviewItem

DECIDABLE = [kind for kind in ReviewDecisionKind.values if kind != ReviewDecisionKind.AUTO_APPROVE]


def review_link(entity_type: str, entity_id: Any) -> str:
    return f"/api/v1/reviews/{entity_type}/{entity_id}"


def jsonable(value: Any) -> Any:
    """A value as JSON can carry it: model instances by their label, the rest as text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Model):
        return str(value)
    return str(value)


class ReviewItemOutputSerializer(serializers.ModelSerializer):
    entity_id = serializers.IntegerField(source="object_id")
    is_template = serializers.SerializerMethodField(
        help_text="True when an offline template (no model) drafted the artifact."
    )
    link = serializers.SerializerMethodField(help_text="This artifact's review detail.")

    class Meta:
        model = ReviewItem
        fields = (
            "entity_type",
            "entity_id",
            "title",
            "status",
            "agent",
            "llm_backend",
            "is_template",
            "confidence",
            "amount",
            "currency",
            "flagged",
            "requires_admin",
            "auto_approved",
            "created_at",
            "decided_at",
            "link",
        )
        read_only_fields = fields

    def get_is_template(self, item: ReviewItem) -> bool:
        return item.llm_backend == "template"

    def get_link(self, item: ReviewItem) -> str:
        return review_link(item.entity_type, item.object_id)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="transition or decision")
    summary = serializers.CharField()
    actor = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    changes = serializers.DictField(
        child=serializers.ListField(),
        help_text="Edited field → [before, after] (decisions only).",
    )


class DecisionOutputSerializer(serializers.Serializer):
    audit_id = serializers.IntegerField(source="pk", help_text="Id of the decision's audit row.")
    decision = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    before = serializers.DictField()
    after = serializers.DictField()
    by_user = serializers.CharField(allow_null=True, source="by_user.email", default=None)
    by_run_id = serializers.UUIDField(allow_null=True)
    at = serializers.DateTimeField()


class ReviewPageSerializer(serializers.Serializer):
    """What the review page adds to the queue row."""

    values = serializers.DictField(help_text="The editable fields as they stand now.")
    editable_fields = serializers.ListField(child=serializers.CharField())
    ai_original = serializers.DictField(help_text="The model's original editable values.")
    edited = serializers.BooleanField()
    flagged_reasons = serializers.ListField(child=serializers.CharField())
    context = serializers.DictField(help_text="What the artifact belongs to: label → value.")
    decision_reason = serializers.CharField(allow_blank=True)
    can_decide = serializers.BooleanField(help_text="Whether you may decide this artifact now.")
    cannot_decide_reason = serializers.CharField(allow_blank=True)
    history = HistoryEntrySerializer(many=True)
    decisions = DecisionOutputSerializer(many=True)


class ReviewDetailOutputSerializer(ReviewItemOutputSerializer, ReviewPageSerializer):
    """The queue row and the review page (the schema of the detail response)."""

    class Meta(ReviewItemOutputSerializer.Meta):
        fields = (*ReviewItemOutputSerializer.Meta.fields, *ReviewPageSerializer._declared_fields)
        read_only_fields = fields


class DecisionInputSerializer(StrictInputSerializer):
    decision = serializers.ChoiceField(choices=DECIDABLE)
    reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=5000,
        help_text="Required to reject; the instruction for a regeneration.",
    )
    edits = serializers.DictField(
        required=False,
        default=dict,
        help_text="edit_approve only: editable field → new value.",
    )


class DecisionResultSerializer(serializers.Serializer):
    audit_id = serializers.IntegerField(help_text="Id of the decision's audit row.")
    entity_type = serializers.CharField()
    entity_id = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=DECIDABLE)
    status = serializers.CharField(help_text="The artifact's review status after the decision.")
    link = serializers.CharField()
