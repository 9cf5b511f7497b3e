"""Serializers of the LLM call log, the agent metrics and the prompt versions."""

from __future__ import annotations

from rest_framework import serializers

from revo.api.serializers import StrictInputSerializer
from revo.llm.models import LLMCall, PromptTemplate


class LLMCallOutputSerializer(serializers.ModelSerializer):
    is_template = serializers.BooleanField(
        read_only=True, help_text="Drafted by the offline template backend, not a model."
    )

    class Meta:
        model = LLMCall
        fields = (
            "id",
            "created_at",
            "prompt_key",
            "prompt_version",
            "prompt_sha256",
            "model",
            "backend",
            "is_template",
            "latency_ms",
            "prompt_tokens",
            "completion_tokens",
            "attempts",
            "status",
            "error",
            "findings",
            "confidence",
            "run_id",
            "agent",
        )
        read_only_fields = fields


class ReviewRatesSerializer(serializers.Serializer):
    decided = serializers.IntegerField(help_text="Decisions taken by people.")
    approved = serializers.IntegerField(help_text="Approved, with or without edits.")
    edited = serializers.IntegerField()
    rejected = serializers.IntegerField()
    regenerated = serializers.IntegerField()
    auto_approved = serializers.IntegerField()
    approval_rate = serializers.FloatField(allow_null=True)
    edit_rate = serializers.FloatField(allow_null=True)
    rejection_rate = serializers.FloatField(allow_null=True)
    regeneration_rate = serializers.FloatField(allow_null=True)


class PromptVersionMetricsSerializer(serializers.Serializer):
    prompt_key = serializers.CharField()
    prompt_version = serializers.IntegerField(allow_null=True)
    calls = serializers.IntegerField()
    error_rate = serializers.FloatField(allow_null=True, help_text="Errors and invalid output.")
    mean_latency_ms = serializers.FloatField()
    p95_latency_ms = serializers.FloatField()
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()
    reviews = ReviewRatesSerializer(help_text="Decisions on the artifacts this version drafted.")


class AgentLLMSerializer(serializers.Serializer):
    calls = serializers.IntegerField()
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()
    mean_latency_ms = serializers.FloatField(allow_null=True)


class AgentMetricsSerializer(serializers.Serializer):
    agent = serializers.CharField()
    runs = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    success_rate = serializers.FloatField(
        allow_null=True, help_text="Succeeded among finished runs."
    )
    items_processed = serializers.IntegerField()
    items_failed = serializers.IntegerField()
    artifacts_created = serializers.IntegerField()
    artifacts_in_review_queue = serializers.IntegerField()
    pending_review = serializers.IntegerField()
    median_review_wait_s = serializers.FloatField(
        allow_null=True, help_text="Created → decided by a person, seconds."
    )
    reviews = ReviewRatesSerializer()
    llm = AgentLLMSerializer()
    prompt_versions = PromptVersionMetricsSerializer(many=True)


class AgentMetricsOutputSerializer(serializers.Serializer):
    agents = AgentMetricsSerializer(many=True)


class PromptSummarySerializer(serializers.ModelSerializer):
    active_version = serializers.IntegerField(source="version")
    version_count = serializers.IntegerField()
    author = serializers.CharField(source="author.email", default=None, allow_null=True)
    link = serializers.SerializerMethodField()

    class Meta:
        model = PromptTemplate
        fields = (
            "key",
            "active_version",
            "version_count",
            "source",
            "sha256",
            "author",
            "updated_at",
            "link",
        )
        read_only_fields = fields

    def get_link(self, prompt: PromptTemplate) -> str:
        return f"/api/v1/prompts/{prompt.key}"


class PromptVersionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.email", default=None, allow_null=True)

    class Meta:
        model = PromptTemplate
        fields = (
            "id",
            "key",
            "version",
            "is_active",
            "source",
            "note",
            "sha256",
            "author",
            "created_at",
            "system_text",
            "user_template",
            "output_schema",
            "inputs",
            "model",
            "options",
            "fallback_template",
            "validators",
        )
        read_only_fields = fields


class PromptDetailSerializer(serializers.Serializer):
    key = serializers.CharField()
    active_version = serializers.IntegerField(allow_null=True)
    versions = PromptVersionSerializer(many=True, help_text="Newest first.")


class PromptReviseInputSerializer(StrictInputSerializer):
    """Only the fields to change; the rest are taken from the active version."""

    system_text = serializers.CharField(required=False, max_length=50_000)
    user_template = serializers.CharField(required=False, max_length=50_000)
    output_schema = serializers.DictField(required=False)
    inputs = serializers.ListField(child=serializers.DictField(), required=False)
    model = serializers.CharField(required=False, allow_blank=True, max_length=200)
    options = serializers.DictField(required=False)
    fallback_template = serializers.DictField(required=False)
    validators = serializers.DictField(required=False)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)
    activate = serializers.BooleanField(
        required=False, default=True, help_text="Make the new version active (default)."
    )


class PromptActivateInputSerializer(StrictInputSerializer):
    version = serializers.IntegerField(min_value=1)


class PromptChangeOutputSerializer(serializers.Serializer):
    prompt_id = serializers.IntegerField(help_text="Id of the version created or activated.")
    key = serializers.CharField()
    version = serializers.IntegerField()
    is_active = serializers.BooleanField()
    previous_active_version = serializers.IntegerField(allow_null=True)
    link = serializers.CharField()
