"""Suppression list, bounces and complaints, and the tenant's mail settings."""

from __future__ import annotations

import logging
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from revo.mail.models import (
    MailEvent,
    MailEventKind,
    MailSettings,
    Suppression,
    SuppressionReason,
)
from revo.mail.registry import suppression_listeners
from revo.mail.selectors import (
    email_message_by_message_id,
    email_message_last_sent_to,
    suppression_get,
)
from revo.mail.services._common import artifact_notify, mail_settings_ensure

logger = logging.getLogger("revo.mail")

_EVENT_REASON = {
    MailEventKind.BOUNCE: SuppressionReason.BOUNCED,
    MailEventKind.COMPLAINT: SuppressionReason.COMPLAINED,
}


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not a valid email address"}) from None
    return email


@transaction.atomic
def suppression_add(*, email: str, reason: str, source: str = "", detail: str = "") -> Suppression:
    """Never email ``email`` again (idempotent: an existing entry is kept as it is).
    Suppression listeners (e.g. leads) hear of each new entry."""
    email = _clean_email(email)
    if reason not in SuppressionReason.values:
        raise ValidationError({"reason": f"unknown suppression reason {reason!r}"})
    existing = suppression_get(email)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            suppression = Suppression.objects.create(
                email=email, reason=reason, source=source[:100], detail=detail
            )
    except IntegrityError:
        # Added concurrently: the first entry stands.
        return suppression_get(email)
    logger.info(
        "address suppressed",
        extra={"event": "mail.suppressed", "reason": reason, "source": source},
    )
    for listener in suppression_listeners():
        # A listener's bug must never undo the suppression itself.
        try:
            with transaction.atomic():
                listener(suppression)
        except Exception:
            logger.exception(
                "suppression listener failed",
                extra={"event": "mail.listener_failed", "listener": repr(listener)},
            )
    return suppression


@transaction.atomic
def mail_event_record(
    *,
    email: str,
    kind: str,
    detail: str = "",
    provider_message_id: str = "",
    source: str = "",
) -> MailEvent:
    """Record a hard bounce or a complaint: the address is suppressed at once, and the
    artifact of the message it concerns (by Message-ID, else the last one sent to the
    address) hears of it through its ``on_event`` callback."""
    email = _clean_email(email)
    if kind not in MailEventKind.values:
        raise ValidationError(
            {"kind": f"unknown event kind {kind!r}; use one of: {', '.join(MailEventKind.values)}"}
        )
    message = (
        email_message_by_message_id(provider_message_id) if provider_message_id else None
    ) or email_message_last_sent_to(email)
    event = MailEvent.objects.create(
        email=email,
        kind=kind,
        detail=detail,
        provider_message_id=provider_message_id[:255],
        message=message,
        source=source[:100],
    )
    suppression_add(
        email=email,
        reason=_EVENT_REASON[MailEventKind(kind)],
        source=source or f"{kind} event",
        detail=detail,
    )
    if message is not None:
        artifact_notify(message, "on_event", event)
    return event


_SETTINGS_FIELDS = {
    "from_name",
    "from_email",
    "reply_to",
    "daily_cap",
    "sender_daily_cap",
    "per_minute_rate",
    "business_hours_only",
    "business_days",
    "business_start",
    "business_end",
    "webhook_secret",
}


@transaction.atomic
def mail_settings_update(**changes: Any) -> MailSettings:
    """Change the tenant's mail settings; invalid values are refused, nothing is saved."""
    unknown = set(changes) - _SETTINGS_FIELDS
    if unknown:
        raise ValidationError({"settings": f"unknown fields: {', '.join(sorted(unknown))}"})
    config = MailSettings.objects.select_for_update().get(pk=mail_settings_ensure().pk)
    for field, value in changes.items():
        setattr(config, field, value)
    errors: dict[str, str] = {}
    days = config.business_days
    if (
        not isinstance(days, list)
        or not days
        or not all(isinstance(day, int) and 0 <= day <= 6 for day in days)
    ):
        errors["business_days"] = "give at least one weekday number, 0 (Monday) to 6 (Sunday)"
    if not (isinstance(config.business_start, time) and isinstance(config.business_end, time)):
        errors["business_start"] = "business hours must be times of day"
    elif config.business_start >= config.business_end:
        errors["business_end"] = "business hours must end after they start"
    if errors:
        raise ValidationError(errors)
    config.full_clean()
    config.save()
    return config
