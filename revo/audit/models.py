from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class StateTransition(models.Model):
    """One row per state change of any object: what moved, from where to where, who or
    which agent run moved it, and why. Written by services in the same transaction as the
    change (``revo.audit.services.transition_apply``), never by a signal."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    field = models.CharField(max_length=64, default="status")
    transition = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32)
    to_state = models.CharField(max_length=32)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_run_id = models.UUIDField(null=True, blank=True, db_index=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.content_type.model}#{self.object_id} {self.from_state} → {self.to_state}"

    @property
    def actor(self) -> str:
        if self.by_user_id:
            return str(self.by_user)
        if self.by_run_id:
            return f"agent run {self.by_run_id}"
        return "system"
