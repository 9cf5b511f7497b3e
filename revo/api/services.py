"""Idempotency keys: claim, complete, release, purge."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.api.models import IDEMPOTENCY_KEY_TTL, IdempotencyKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """``won``: this request owns the key and must run; otherwise ``existing`` is the row
    another request created first."""

    record: IdempotencyKey
    won: bool


def idempotency_key_claim(*, user: User, endpoint: str, key: str, request_hash: str) -> Claim:
    """Insert the key as ``in_progress`` in its own committed transaction: among concurrent
    requests with the same key, the unique constraint lets exactly one win. An expired key,
    or one left in progress by a request that died, is replaced."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user, endpoint=endpoint, key=key, request_hash=request_hash
                )
            return Claim(record=record, won=True)
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=user, endpoint=endpoint, key=key).first()
            if existing is None:  # released in between: try again
                continue
            if not (existing.is_expired or existing.is_stale):
                return Claim(record=existing, won=False)
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
    raise IntegrityError(f"idempotency key {key!r} keeps changing under us")


def idempotency_key_complete(
    *, record: IdempotencyKey, response_status: int, response_body: object
) -> IdempotencyKey:
    record.status = IdempotencyKey.Status.COMPLETED
    record.response_status = response_status
    record.response_body = response_body
    record.save(update_fields=["status", "response_status", "response_body", "updated_at"])
    return record


def idempotency_key_release(*, record: IdempotencyKey) -> None:
    """The request failed: forget the key so a retry runs again."""
    IdempotencyKey.objects.filter(pk=record.pk, status=IdempotencyKey.Status.IN_PROGRESS).delete()


def idempotency_keys_purge(*, older_than: timedelta = IDEMPOTENCY_KEY_TTL) -> int:
    """Delete the current schema's keys created more than ``older_than`` ago."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=timezone.now() - older_than).delete()
    if deleted:
        logger.info(
            "idempotency keys purged", extra={"event": "api.idempotency_purged", "count": deleted}
        )
    return deleted
