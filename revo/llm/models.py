"""LLM layer data: prompt versions, the call log and the tenant's auto-approval policy."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from revo.core.models import TimestampedModel


class PromptSource(models.TextChoices):
    SHIPPED = "shipped", "Shipped default"
    USER = "user", "Tenant edit"


class PromptTemplate(TimestampedModel):
    """One immutable version of a prompt. Edits create a new version; exactly one version
    per key is active; rollback is activating an older version. Only ``is_active`` (and
    ``updated_at``) ever change after creation, which a database trigger enforces too."""

    key = models.CharField(max_length=100, db_index=True)
    version = models.PositiveIntegerField()
    system_text = models.TextField()
    user_template = models.TextField(help_text="Django template syntax, rendered with the context.")
    output_schema = models.JSONField(help_text="JSON schema the model's answer must satisfy.")
    inputs = models.JSONField(
        default=list,
        help_text='Declared context inputs: [{"name": "reply_body", "untrusted": true, '
        '"required": true}, ...]. Untrusted inputs are fenced as data.',
    )
    model = models.CharField(
        max_length=200, blank=True, help_text="Model override; empty uses LLM_MODEL."
    )
    options = models.JSONField(default=dict, blank=True, help_text="temperature, seed, num_ctx…")
    fallback_template = models.JSONField(
        default=dict, blank=True, help_text="What the offline template backend renders."
    )
    validators = models.JSONField(
        default=dict, blank=True, help_text="Deterministic checks run on every answer."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=10, choices=PromptSource.choices)
    note = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=False)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="llm_prompt_key_version_uniq"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(is_active=True), name="llm_prompt_one_active_per_key"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="llm_prompt_version_gte_1"),
            models.CheckConstraint(
                condition=Q(source__in=PromptSource.values), name="llm_prompt_source_valid"
            ),
            models.CheckConstraint(condition=~Q(key=""), name="llm_prompt_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}{' (active)' if self.is_active else ''}"


class LLMCallStatus(models.TextChoices):
    OK = "ok", "OK"
    INVALID = "invalid", "Invalid output"
    ERROR = "error", "Error"


class LLMCall(TimestampedModel):
    """One ``generate()`` call (all its attempts), written whether it succeeded or not."""

    prompt_key = models.CharField(max_length=100, db_index=True)
    prompt_version = models.PositiveIntegerField(null=True, blank=True)
    prompt_sha256 = models.CharField(max_length=64, blank=True)
    model = models.CharField(max_length=200, blank=True)
    backend = models.CharField(max_length=40, db_index=True)
    endpoint = models.CharField(max_length=500, blank=True)
    latency_ms = models.FloatField(default=0.0)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=LLMCallStatus.choices, db_index=True)
    error = models.TextField(blank=True)
    findings = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    run_id = models.UUIDField(null=True, blank=True, db_index=True)
    agent = models.CharField(max_length=40, blank=True, db_index=True)
    artifact_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    artifact_object_id = models.CharField(max_length=64, blank=True)
    artifact = GenericForeignKey("artifact_content_type", "artifact_object_id")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["prompt_key", "prompt_version"], name="llm_call_prompt_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LLMCallStatus.values), name="llm_call_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True)
                | (Q(confidence__gte=0) & Q(confidence__lte=1)),
                name="llm_call_confidence_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prompt_key} v{self.prompt_version} {self.status} via {self.backend}"

    @property
    def is_template(self) -> bool:
        return self.backend == "template"


class AutoApprovalRule(TimestampedModel):
    """A tenant's permission to skip human review for one action type, e.g. a level-1
    payment reminder under a set amount. Without an enabled rule nothing auto-approves;
    contracts never do, whatever a rule says."""

    action_type = models.CharField(
        max_length=60, unique=True, help_text="e.g. dunning.level_1, outreach.first_touch"
    )
    min_confidence = models.DecimalField(max_digits=4, decimal_places=3)
    max_amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Empty: no amount limit."
    )
    currency = models.CharField(max_length=3, blank=True, help_text="Currency of max_amount.")
    enabled = models.BooleanField(default=False)
    sample_rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=0,
        help_text="Share of auto-approvable items still sent to review (0–1).",
    )

    class Meta:
        ordering = ["action_type"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_confidence__gte=0) & Q(min_confidence__lte=1),
                name="llm_rule_min_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(sample_rate__gte=0) & Q(sample_rate__lte=1),
                name="llm_rule_sample_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gte=0),
                name="llm_rule_max_amount_non_negative",
            ),
            models.CheckConstraint(
                condition=~Q(action_type__startswith="contract") | Q(enabled=False),
                name="llm_rule_contracts_never_enabled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action_type} ({'enabled' if self.enabled else 'disabled'})"
