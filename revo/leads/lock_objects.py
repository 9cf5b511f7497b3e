"""Row locks for leads and replies: take them inside a transaction before changing state."""

from __future__ import annotations

from typing import Any

from revo.core.exceptions import NotFound
from revo.leads.models import Lead, Reply


def lead_lock(pk: Any) -> Lead:
    try:
        return Lead.objects.select_for_update().get(pk=pk)
    except Lead.DoesNotExist:
        raise NotFound(f"lead {pk} does not exist") from None


def reply_lock(pk: Any) -> Reply:
    try:
        return Reply.objects.select_for_update().get(pk=pk)
    except Reply.DoesNotExist:
        raise NotFound(f"reply {pk} does not exist") from None
