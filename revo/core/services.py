"""Writes shared by every app."""

from __future__ import annotations

from django.utils import timezone

from revo.core.models import SoftDeleteModel


def soft_delete(*, instance: SoftDeleteModel) -> SoftDeleteModel:
    """Mark a row deleted (idempotent: the first deletion time is kept)."""
    if instance.deleted_at is None:
        instance.deleted_at = timezone.now()
        instance.save(update_fields=["deleted_at", "updated_at"])
    return instance


def soft_restore(*, instance: SoftDeleteModel) -> SoftDeleteModel:
    if instance.deleted_at is not None:
        instance.deleted_at = None
        instance.save(update_fields=["deleted_at", "updated_at"])
    return instance
