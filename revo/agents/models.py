"""Pipeline and agent runs: who asked for what, its state, attempts, errors and counters."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from revo.core.models import TimestampedModel


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (retry scheduled)"
    DEAD = "dead", "Dead (retries exhausted)"
    CANCELLED = "cancelled", "Cancelled"


class Trigger(models.TextChoices):
    API = "api", "API"
    CLI = "cli", "Command line"
    SCHEDULE = "schedule", "Schedule"
    RETRY = "retry", "Retry"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED)


class RunBase(FSMModelMixin, TimestampedModel):
    """What pipeline and agent runs share: identity, trigger, state machine, timing.

    States: queued → running → succeeded | failed; failed → queued (retry) | dead (no retry
    left or not retryable); dead → queued (re-drive); queued | failed → cancelled;
    running → queued (a vanished worker's run, put back by the sweeper; or a run handing
    itself back at the end of its time slice).
    """

    run_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = FSMField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, protected=True
    )
    options = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=4)
    error_payload = models.JSONField(default=dict, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @transition(field=status, source=RunStatus.QUEUED, target=RunStatus.RUNNING)
    def start(self) -> None:
        self.attempts += 1
        self.started_at = timezone.now()
        self.finished_at = None

    @transition(field=status, source=RunStatus.RUNNING, target=RunStatus.SUCCEEDED)
    def succeed(self) -> None:
        self.finished_at = timezone.now()
        self.error_payload = {}

    @transition(field=status, source=RunStatus.RUNNING, target=RunStatus.FAILED)
    def fail(self, error: dict) -> None:
        self.finished_at = timezone.now()
        self.error_payload = error

    @transition(field=status, source=RunStatus.FAILED, target=RunStatus.QUEUED)
    def requeue(self) -> None:
        self.queued_at = timezone.now()

    @transition(field=status, source=RunStatus.FAILED, target=RunStatus.DEAD)
    def bury(self) -> None:
        self.finished_at = self.finished_at or timezone.now()

    @transition(field=status, source=RunStatus.DEAD, target=RunStatus.QUEUED)
    def redrive(self) -> None:
        self.queued_at = timezone.now()
        self.attempts = 0

    @transition(
        field=status, source=[RunStatus.QUEUED, RunStatus.FAILED], target=RunStatus.CANCELLED
    )
    def cancel(self) -> None:
        self.finished_at = timezone.now()

    @transition(field=status, source=RunStatus.RUNNING, target=RunStatus.CANCELLED)
    def abort(self) -> None:
        """Stop a running run: its worker sees the state between items and stops."""
        self.finished_at = timezone.now()

    @transition(field=status, source=[RunStatus.FAILED, RunStatus.DEAD], target=RunStatus.SUCCEEDED)
    def override_succeed(self) -> None:
        """An admin resolved the failure by hand (manual override, audited)."""
        self.finished_at = self.finished_at or timezone.now()

    @transition(field=status, source=RunStatus.RUNNING, target=RunStatus.QUEUED)
    def reclaim(self) -> None:
        """The worker stopped sending heartbeats: the run goes back to the queue."""
        self.queued_at = timezone.now()

    @transition(field=status, source=RunStatus.RUNNING, target=RunStatus.QUEUED)
    def hand_back(self) -> None:
        """Between two items, at the end of its time slice: the run goes back to the queue
        to go on in a fresh task. The same attempt goes on, so it is not counted again."""
        self.queued_at = timezone.now()
        self.attempts = max(0, self.attempts - 1)

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class PipelineRun(RunBase):
    """A run of several agents in order; each stage is an ``AgentRun``."""

    stages = models.JSONField(default=list)

    class Meta:
        ordering = ["-queued_at"]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self) -> str:
        return f"pipeline {self.run_id} ({self.status})"


class AgentRun(RunBase):
    agent = models.CharField(max_length=32, db_index=True)
    pipeline = models.ForeignKey(
        PipelineRun, null=True, blank=True, on_delete=models.CASCADE, related_name="agent_runs"
    )
    stage_index = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    # counters
    seen = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    artifacts_created = models.PositiveIntegerField(default=0)
    auto_approved = models.PositiveIntegerField(default=0)
    items_total = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Items the current attempt set out to process (known once it started).",
    )

    class Meta:
        ordering = ["-queued_at"]
        indexes = [
            models.Index(fields=["status", "queued_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
            models.Index(fields=["agent", "status"]),
        ]
        permissions = [
            ("run_sdr", "Can run the SDR agent"),
            ("run_sales", "Can run the sales agent"),
            ("run_negotiation", "Can run the negotiation agent"),
            ("run_finance", "Can run the finance agent"),
            ("run_pipeline", "Can run the whole pipeline"),
            ("override_run", "Can manually override a run"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} run {self.run_id} ({self.status})"


class ItemOutcome(models.TextChoices):
    PROCESSED = "processed", "Processed"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class AgentRunItem(models.Model):
    """What happened to one item in one run: the trail that makes a run explainable, and
    the record of every failure with its error."""

    run = models.ForeignKey(AgentRun, on_delete=models.CASCADE, related_name="items")
    item_type = models.CharField(max_length=32)
    item_id = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=ItemOutcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    error = models.JSONField(default=dict, blank=True)
    artifacts = models.PositiveSmallIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(
        default=1, help_text="The run's attempt that processed the item."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "outcome"]), models.Index(fields=["run", "attempt"])]

    def __str__(self) -> str:
        return f"{self.item_type}#{self.item_id}: {self.outcome}"


class RunOverride(models.Model):
    """Audit of a manual override of a run by an admin (with the reason)."""

    run = models.ForeignKey(AgentRun, on_delete=models.CASCADE, related_name="overrides")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    reason = models.TextField()
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.action} on {self.run.run_id}"


def default_scoring_weights() -> dict[str, int]:
    return {
        "title": 25,
        "company_size": 20,
        "industry": 20,
        "source": 15,
        "completeness": 20,
    }


def default_source_scores() -> dict[str, int]:
    return {
        "referral": 100,
        "event": 80,
        "website": 70,
        "webinar": 70,
        "inbound": 80,
        "csv import": 40,
        "purchased list": 10,
    }


class AgentSettings(TimestampedModel):
    """What the agents need to know about the tenant (one row per tenant schema): the
    ideal customer profile and the scoring rubric's weights, the follow-up cadence, who
    signs the emails, what is sold, and the standard package a proposal is built from."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    icp = models.TextField(
        blank=True, help_text="The ideal customer profile in words (shown to the model)."
    )
    target_industries = models.JSONField(
        default=list, blank=True, help_text='Industries that fit, e.g. ["software", "saas"].'
    )
    target_countries = models.JSONField(
        default=list, blank=True, help_text='ISO country codes that fit, e.g. ["DE", "AT"].'
    )
    min_company_size = models.PositiveIntegerField(default=50)
    max_company_size = models.PositiveIntegerField(default=1000)
    scoring_weights = models.JSONField(
        default=default_scoring_weights,
        help_text="Rubric weights: title, company_size, industry, source, completeness.",
    )
    source_scores = models.JSONField(
        default=default_source_scores, help_text="Lead source → 0–100 (unknown sources: 30)."
    )
    model_weight_pct = models.PositiveSmallIntegerField(
        default=40, help_text="Share (%) of the model's fit score in the final lead score."
    )
    follow_up_after_days = models.PositiveSmallIntegerField(default=4)
    max_follow_ups = models.PositiveSmallIntegerField(default=2)
    sender_name = models.CharField(max_length=100, default="Alex Meyer")
    sender_title = models.CharField(max_length=100, default="Account Executive")
    sender_company = models.CharField(max_length=200, blank=True)
    finance_sender_name = models.CharField(max_length=100, default="Accounts Receivable")
    finance_sender_title = models.CharField(max_length=100, default="Finance")
    offering_name = models.CharField(max_length=200, default="Our platform")
    offering_pitch = models.CharField(max_length=300, blank=True)
    offering_summary = models.TextField(blank=True)
    offer_package = models.JSONField(
        default=list,
        blank=True,
        help_text='The standard offer: [{"sku": "...", "quantity": 1}, ...] from the price list.',
    )
    contract_term_months = models.PositiveSmallIntegerField(default=12)

    class Meta:
        verbose_name_plural = "agent settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(singleton=True), name="agents_settings_singleton"
            ),
            models.CheckConstraint(
                condition=models.Q(model_weight_pct__lte=100),
                name="agents_settings_model_weight_pct",
            ),
            models.CheckConstraint(
                condition=models.Q(min_company_size__lte=models.F("max_company_size")),
                name="agents_settings_company_size_range",
            ),
        ]

    def __str__(self) -> str:
        return "Agent settings"
