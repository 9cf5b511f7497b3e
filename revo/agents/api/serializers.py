"""Serializers of the runs API."""

from __future__ import annotations

from rest_framework import serializers

from revo.agents.models import AgentRun, AgentRunItem, PipelineRun, RunOverride
from revo.agents.services import OVERRIDE_ACTIONS
from revo.api.serializers import StrictInputSerializer

MAX_LIMIT = 100_000


def run_link(run_id: object) -> str:
    return f"/api/v1/runs/{run_id}"


class AgentRunInputSerializer(StrictInputSerializer):
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_LIMIT, help_text="Process at most this many."
    )
    options = serializers.DictField(
        required=False, default=dict, help_text="Agent-specific options."
    )


class PipelineRunInputSerializer(StrictInputSerializer):
    agents = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        allow_empty=False,
        max_length=10,
        help_text="Stages in order; default every registered agent.",
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_LIMIT, help_text="Items per stage at most."
    )


class RunCreatedSerializer(serializers.Serializer):
    run_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=["agent", "pipeline"])
    status = serializers.CharField()
    created = serializers.BooleanField(
        help_text="False when the idempotency key named an existing run."
    )
    link = serializers.CharField()


class _RunFields(serializers.Serializer):
    run_id = serializers.UUIDField()
    kind = serializers.SerializerMethodField()
    status = serializers.CharField()
    trigger = serializers.CharField()
    requested_by = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_s = serializers.FloatField(allow_null=True)
    link = serializers.SerializerMethodField()

    def get_kind(self, run: AgentRun | PipelineRun) -> str:
        return "agent" if hasattr(run, "agent") else "pipeline"

    def get_requested_by(self, run: AgentRun | PipelineRun) -> str | None:
        return run.requested_by.email if run.requested_by_id else None

    def get_link(self, run: AgentRun | PipelineRun) -> str:
        return run_link(run.run_id)


class AgentRunOutputSerializer(_RunFields):
    agent = serializers.CharField()
    pipeline_run_id = serializers.UUIDField(source="pipeline.run_id", default=None)
    stage_index = serializers.IntegerField()
    seen = serializers.IntegerField()
    processed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()
    artifacts_created = serializers.IntegerField()
    auto_approved = serializers.IntegerField()
    items_total = serializers.IntegerField(
        allow_null=True,
        help_text="Items the current attempt set out to process; null until it started.",
    )


class PipelineRunOutputSerializer(_RunFields):
    stages = serializers.ListField(child=serializers.CharField())


class RunListOutputSerializer(serializers.Serializer):
    """Agent runs by default; pipeline runs with ``kind=pipeline`` (no counters)."""

    run_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=["agent", "pipeline"])
    agent = serializers.CharField(allow_null=True)
    pipeline_run_id = serializers.UUIDField(allow_null=True)
    stages = serializers.ListField(child=serializers.CharField(), allow_null=True)
    status = serializers.CharField()
    trigger = serializers.CharField()
    requested_by = serializers.CharField(allow_null=True)
    attempts = serializers.IntegerField()
    processed = serializers.IntegerField(allow_null=True)
    failed = serializers.IntegerField(allow_null=True)
    artifacts_created = serializers.IntegerField(allow_null=True)
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    link = serializers.CharField()

    def to_representation(self, run: AgentRun | PipelineRun) -> dict:
        is_agent = isinstance(run, AgentRun)
        row = {
            "run_id": run.run_id,
            "kind": "agent" if is_agent else "pipeline",
            "agent": run.agent if is_agent else None,
            "pipeline_run_id": run.pipeline.run_id if is_agent and run.pipeline_id else None,
            "stages": None if is_agent else run.stages,
            "status": run.status,
            "trigger": run.trigger,
            "requested_by": run.requested_by.email if run.requested_by_id else None,
            "attempts": run.attempts,
            "processed": run.processed if is_agent else None,
            "failed": run.failed if is_agent else None,
            "artifacts_created": run.artifacts_created if is_agent else None,
            "queued_at": run.queued_at,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "link": run_link(run.run_id),
        }
        return super().to_representation(row)


class FailedItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgentRunItem
        fields = ("item_type", "item_id", "detail", "error", "attempt", "created_at")
        read_only_fields = fields


class LLMUsageSerializer(serializers.Serializer):
    calls = serializers.IntegerField()
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()


class OverrideSerializer(serializers.ModelSerializer):
    audit_id = serializers.IntegerField(source="pk")
    by_user = serializers.CharField(source="by_user.email")

    class Meta:
        model = RunOverride
        fields = ("audit_id", "action", "from_status", "to_status", "reason", "by_user", "at")
        read_only_fields = fields


class AgentRunDetailSerializer(AgentRunOutputSerializer):
    options = serializers.DictField()
    error_payload = serializers.DictField()
    heartbeat_at = serializers.DateTimeField(allow_null=True)
    worker = serializers.CharField(allow_blank=True)
    items_done = serializers.IntegerField(
        help_text="Items the current attempt has recorded (progress: items_done / items_total)."
    )
    failed_items = FailedItemSerializer(many=True, help_text="Up to 100, oldest first.")
    llm_usage = LLMUsageSerializer()
    overrides = OverrideSerializer(many=True)


class PipelineRunDetailSerializer(PipelineRunOutputSerializer):
    options = serializers.DictField()
    error_payload = serializers.DictField()
    stage_runs = AgentRunOutputSerializer(many=True)
    llm_usage = LLMUsageSerializer(help_text="Summed over the stages.")


class RunActionOutputSerializer(serializers.Serializer):
    run_id = serializers.UUIDField()
    status = serializers.CharField()
    audit_id = serializers.IntegerField(help_text="Id of the audit row this action wrote.")
    link = serializers.CharField()


class OverrideInputSerializer(StrictInputSerializer):
    action = serializers.ChoiceField(choices=sorted(OVERRIDE_ACTIONS))
    reason = serializers.CharField(max_length=5000)
