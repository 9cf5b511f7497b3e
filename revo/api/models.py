"""Idempotency keys: the first response to a POST, replayed for retries with the same key."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from revo.core.models import TimestampedModel

IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# A request still "in progress" after this long died with its process: its key is reclaimed.
IDEMPOTENCY_STALE_AFTER = timedelta(minutes=10)


class IdempotencyKey(TimestampedModel):
    """One ``Idempotency-Key`` of one user on one endpoint (``"POST /api/v1/users"``) in the
    current tenant's schema. ``request_hash`` tells a retry from a reuse with another body."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    endpoint = models.CharField(max_length=300)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "key"], name="api_idempotencykey_unique_per_endpoint"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(response_status__isnull=False),
                name="api_idempotencykey_completed_has_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.created_at <= timezone.now() - IDEMPOTENCY_KEY_TTL

    @property
    def is_stale(self) -> bool:
        return (
            self.status == self.Status.IN_PROGRESS
            and self.created_at <= timezone.now() - IDEMPOTENCY_STALE_AFTER
        )
