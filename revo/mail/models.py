"""The outbox: every outbound email is an ``EmailMessage`` row before it leaves, with its
status history, attachments, the tenant's suppression list, bounce/complaint events and the
tenant's sender settings.

Status machine (transitions are pure; ``revo.mail.services`` calls them, saves and writes an
``EmailStatusChange`` row in the same transaction)::

    queued ──claim──► sending ──mark_sent──► sent
      │  ▲               │
      │  └──retry_later──┤   (temporary SMTP failure, with backoff)
      │                  ├──fail──► failed ──retry (a person)──► queued
      ├──suppress────────┴──suppress──► suppressed
      └──cancel──► cancelled

``suppressed`` means the recipient is on the tenant's suppression list (unsubscribed,
bounced, complained, manual). ``cancelled`` means the email was withdrawn on purpose
before it left: by a person, by its artifact's service (a paid invoice withdraws its
reminders), or held back at send time by its artifact's veto (the lead unsubscribed, the
invoice was paid, the contract voided since the approval); ``cancel_reason`` says which.
"""

from __future__ import annotations

import secrets
from datetime import time

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django_fsm import FSMField, FSMModelMixin, transition

from revo.core.models import TimestampedModel


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Suppressed"
    CANCELLED = "cancelled", "Cancelled"


class EmailKind(models.TextChoices):
    OUTREACH = "outreach", "Outreach"
    CONTRACT = "contract", "Contract"
    INVOICE = "invoice", "Invoice"
    DUNNING = "dunning", "Dunning notice"
    NOTIFICATION = "notification", "Notification"


class EmailMessage(FSMModelMixin, TimestampedModel):
    to_email = models.EmailField(max_length=254)
    to_name = models.CharField(max_length=200, blank=True)
    from_email = models.EmailField(max_length=254)
    from_name = models.CharField(max_length=200, blank=True)
    reply_to = models.EmailField(max_length=254, blank=True)
    subject = models.CharField(max_length=500)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(
        max_length=255, unique=True, help_text="The Message-ID header, fixed when queued."
    )
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    artifact_content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    artifact_id = models.PositiveBigIntegerField(null=True, blank=True)
    artifact = GenericForeignKey("artifact_content_type", "artifact_id")

    status = FSMField(
        max_length=20, choices=EmailStatus.choices, default=EmailStatus.QUEUED, protected=True
    )
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="The next send attempt waits until then."
    )
    dispatch_id = models.UUIDField(
        null=True, blank=True, help_text="Only the task carrying this id may send the message."
    )
    claimed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    outcome_unknown = models.BooleanField(
        default=False,
        help_text="The SMTP delivery was interrupted: it may or may not have been delivered.",
    )
    sandboxed = models.BooleanField(default=False)
    sandbox_path = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why a cancelled message was withdrawn (a person, or its artifact's veto).",
    )
    callback_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["artifact_content_type", "artifact_id", "kind"],
                condition=Q(artifact_id__isnull=False),
                name="mail_one_message_per_artifact_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(artifact_id__isnull=True, artifact_content_type__isnull=True)
                | Q(artifact_id__isnull=False, artifact_content_type__isnull=False),
                name="mail_artifact_type_and_id_together",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="mail_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=(Q(status="cancelled") & ~Q(cancel_reason=""))
                | (~Q(status="cancelled") & Q(cancel_reason="")),
                name="mail_cancelled_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "not_before"], name="mail_status_not_before"),
            models.Index(fields=["from_email", "claimed_at"], name="mail_sender_claimed"),
            models.Index(fields=["to_email"], name="mail_to_email"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email} ({self.status})"

    # Transitions: pure state changes; the services save and audit them.

    @transition(field=status, source=EmailStatus.QUEUED, target=EmailStatus.SENDING)
    def claim(self) -> None:
        self.attempts += 1
        self.error = ""

    @transition(
        field=status, source=[EmailStatus.SENDING, EmailStatus.FAILED], target=EmailStatus.SENT
    )
    def mark_sent(self) -> None:
        """From ``failed`` only when the sweeper gave up on a delivery that then finished."""
        self.error = ""
        self.dispatch_id = None

    @transition(field=status, source=EmailStatus.SENDING, target=EmailStatus.QUEUED)
    def retry_later(self) -> None:
        """A temporary failure: back in the queue until ``not_before``."""

    @transition(
        field=status, source=[EmailStatus.QUEUED, EmailStatus.SENDING], target=EmailStatus.FAILED
    )
    def fail(self) -> None:
        self.dispatch_id = None

    @transition(
        field=status,
        source=[EmailStatus.QUEUED, EmailStatus.SENDING],
        target=EmailStatus.SUPPRESSED,
    )
    def suppress(self) -> None:
        self.dispatch_id = None

    @transition(field=status, source=EmailStatus.QUEUED, target=EmailStatus.CANCELLED)
    def cancel(self) -> None:
        """Withdrawn before it left; the service sets ``cancel_reason`` first."""
        self.dispatch_id = None

    @transition(field=status, source=EmailStatus.FAILED, target=EmailStatus.QUEUED)
    def retry(self) -> None:
        self.error = ""
        self.outcome_unknown = False
        self.not_before = None


class EmailStatusChange(TimestampedModel):
    """One row per status transition, written in the transaction that made it."""

    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=EmailStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=EmailStatus.choices)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


def attachment_upload_to(instance: EmailAttachment, filename: str) -> str:
    from django.db import connection

    return f"mail/{connection.schema_name}/{instance.sha256[:2]}/{instance.sha256}/{filename}"


class EmailAttachment(TimestampedModel):
    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    mimetype = models.CharField(max_length=100)
    file = models.FileField(upload_to=attachment_upload_to, max_length=500)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Complained"
    MANUAL = "manual", "Manual"


class Suppression(TimestampedModel):
    """An address the tenant never emails again (stored lowercase; unique whatever the case)."""

    email = models.EmailField(max_length=254)
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices)
    source = models.CharField(max_length=100, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="mail_suppression_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class MailEventKind(models.TextChoices):
    BOUNCE = "bounce", "Bounce"
    COMPLAINT = "complaint", "Complaint"


class MailEvent(TimestampedModel):
    """A bounce or complaint reported by the provider (webhook) or recorded by a person."""

    email = models.EmailField(max_length=254)
    kind = models.CharField(max_length=20, choices=MailEventKind.choices)
    detail = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    message = models.ForeignKey(
        EmailMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.email}"


def default_business_days() -> list[int]:
    return [0, 1, 2, 3, 4]


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class MailSettings(TimestampedModel):
    """The tenant's sender identity, limits, business hours and webhook secret (one row)."""

    singleton = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    from_name = models.CharField(max_length=200, blank=True)
    from_email = models.EmailField(max_length=254, blank=True)
    reply_to = models.EmailField(max_length=254, blank=True)
    daily_cap = models.PositiveIntegerField(
        default=500, help_text="Emails per day for the whole tenant (tenant's time zone)."
    )
    sender_daily_cap = models.PositiveIntegerField(
        default=200, help_text="Emails per day from one sender address."
    )
    per_minute_rate = models.PositiveIntegerField(default=20, help_text="Emails per minute.")
    business_hours_only = models.BooleanField(default=True)
    business_days = models.JSONField(
        default=default_business_days, help_text="Weekdays to send on: 0 = Monday … 6 = Sunday."
    )
    business_start = models.TimeField(default=time(8, 0))
    business_end = models.TimeField(default=time(18, 0))
    webhook_secret = models.CharField(max_length=100, default=new_webhook_secret)

    class Meta:
        verbose_name = "mail settings"
        verbose_name_plural = "mail settings"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=1), name="mail_settings_singleton"),
            models.CheckConstraint(
                condition=Q(business_start__lt=models.F("business_end")),
                name="mail_settings_business_window",
            ),
        ]

    def __str__(self) -> str:
        return f"Mail settings ({self.from_email or 'default sender'})"
