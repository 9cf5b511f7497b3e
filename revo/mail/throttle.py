"""When a message may go: the tenant's business hours (in its time zone) and its sending
limits.

Limits are counted in the database, not in Redis: the outbox rows already say what was
claimed for sending and when (``claimed_at`` on rows in ``sending`` or ``sent``), so the
counts are exact, survive a Redis restart, need no second store to keep in step, and cost
one indexed count per send, which is nothing at email volumes. The claim runs under a
per-tenant advisory lock (``outbox_claim_lock``) so two workers cannot both take the last
slot of a window.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection

from revo.mail.models import EmailMessage, EmailStatus, MailSettings

_CLAIM_LOCK_NAMESPACE = 0x4D41494C  # "MAIL"
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Gate:
    """``allowed``, or the earliest moment worth checking again and why."""

    allowed: bool
    wait_until: datetime | None = None
    reason: str = ""


OPEN = Gate(allowed=True)


def outbox_claim_lock() -> None:
    """Serialise claims in this tenant until the end of the current transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            [_CLAIM_LOCK_NAMESPACE, connection.schema_name],
        )


def _window(day: date, config: MailSettings, tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, config.business_start, tzinfo=tz)
    end = datetime.combine(day, config.business_end, tzinfo=tz)
    return start, end


def business_hours_gate(*, now: datetime, config: MailSettings, tz_name: str) -> Gate:
    """Open inside the tenant's business hours; otherwise wait for the next window."""
    if not config.business_hours_only:
        return OPEN
    tz = zoneinfo.ZoneInfo(tz_name)
    local = now.astimezone(tz)
    days = set(config.business_days)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        start, end = _window(day, config, tz)
        if start <= local < end:
            return OPEN
        if local < start:
            return Gate(allowed=False, wait_until=start, reason="outside business hours")
    raise ValueError("mail settings name no business day to send on")


def _local_day_bounds(now: datetime, tz_name: str) -> tuple[datetime, datetime]:
    tz = zoneinfo.ZoneInfo(tz_name)
    today = now.astimezone(tz).date()
    start = datetime.combine(today, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start, end


def limits_gate(*, now: datetime, config: MailSettings, tz_name: str, from_email: str) -> Gate:
    """The per-minute rate, the tenant's daily cap and the sender's daily cap."""
    claimed = EmailMessage.objects.filter(
        status__in=[EmailStatus.SENDING, EmailStatus.SENT], claimed_at__isnull=False
    )
    last_minute = claimed.filter(claimed_at__gt=now - MINUTE).order_by("claimed_at")
    if last_minute.count() >= config.per_minute_rate:
        oldest = last_minute.values_list("claimed_at", flat=True).first()
        wait = (oldest or now) + MINUTE
        return Gate(allowed=False, wait_until=wait, reason="per-minute rate reached")
    day_start, day_end = _local_day_bounds(now, tz_name)
    today = claimed.filter(claimed_at__gte=day_start)
    if today.count() >= config.daily_cap:
        return Gate(allowed=False, wait_until=day_end, reason="tenant daily cap reached")
    if today.filter(from_email__iexact=from_email).count() >= config.sender_daily_cap:
        return Gate(allowed=False, wait_until=day_end, reason="sender daily cap reached")
    return OPEN


def send_gate(*, now: datetime, config: MailSettings, tz_name: str, from_email: str) -> Gate:
    hours = business_hours_gate(now=now, config=config, tz_name=tz_name)
    if not hours.allowed:
        return hours
    return limits_gate(now=now, config=config, tz_name=tz_name, from_email=from_email)
