"""Abstract base models shared by every domain table."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AliveManager(models.Manager):
    """The default manager of soft-deletable models: deleted rows are hidden."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(TimestampedModel):
    """Rows users delete are kept with ``deleted_at`` set; ``objects`` hides them and
    ``all_objects`` shows everything (audits, restores)."""

    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)

    objects = AliveManager()
    all_objects = models.Manager()  # noqa: DJ012 - a second manager, not a field

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
