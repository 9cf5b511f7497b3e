"""Sign-in throttling: after ``LOGIN_MAX_FAILURES`` failed attempts for one username from
one IP within ``LOGIN_FAILURE_WINDOW`` seconds, further attempts get 429 until the window
closes. Counters live in the Django cache (Redis), so every web process shares them."""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache

LOGIN_MAX_FAILURES = 5
LOGIN_FAILURE_WINDOW = 15 * 60


def _key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()
    return f"api:login-failures:{digest}"


def login_retry_after(*, username: str, ip: str) -> int | None:
    """Seconds until sign-in may be tried again, or ``None`` if it may be tried now."""
    key = _key(username, ip)
    values = cache.get_many([key, f"{key}:since"])
    if values.get(key, 0) < LOGIN_MAX_FAILURES:
        return None
    since = float(values.get(f"{key}:since", time.time()))
    return max(1, math.ceil(since + LOGIN_FAILURE_WINDOW - time.time()))


def login_failure_record(*, username: str, ip: str) -> int:
    """Count a failed attempt; returns the failures in the current window."""
    key = _key(username, ip)
    cache.add(f"{key}:since", time.time(), timeout=LOGIN_FAILURE_WINDOW)
    cache.add(key, 0, timeout=LOGIN_FAILURE_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=LOGIN_FAILURE_WINDOW)
        return 1


def login_failures_clear(*, username: str, ip: str) -> None:
    key = _key(username, ip)
    cache.delete_many([key, f"{key}:since"])
