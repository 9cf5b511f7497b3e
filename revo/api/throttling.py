"""Sign-in throttling. Failed attempts are counted in the Django cache (Redis, so every web
process shares them) under three keys, each with its own limit over a
``LOGIN_FAILURE_WINDOW`` that starts at its first failure; any one over its limit answers
429 until its window closes:

* the account and the address together (``LOGIN_MAX_FAILURES``): one source guessing one
  password;
* the account from any address (``LOGIN_MAX_ACCOUNT_FAILURES``): one account guessed from
  many addresses;
* the address for any account (``LOGIN_MAX_ADDRESS_FAILURES``): one source trying many
  accounts.

A successful sign-in clears the account's counters, never the address's (signing in to
one's own account must not reset a password-spraying source).

The address is the client's as ``client_address`` finds it behind ``TRUSTED_PROXY_COUNT``
proxies."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache

LOGIN_MAX_FAILURES = 5
LOGIN_MAX_ACCOUNT_FAILURES = 20
LOGIN_MAX_ADDRESS_FAILURES = 50
LOGIN_FAILURE_WINDOW = 15 * 60


def client_address(meta: Mapping[str, Any]) -> str:
    """The client's address from a request's ``META``.

    With ``TRUSTED_PROXY_COUNT`` = 0 (the default) it is ``REMOTE_ADDR``: the
    ``X-Forwarded-For`` header is the client's to write and is never read. With N > 0
    proxies in front, each appending the address it received from, the client is the N-th
    entry from the right (fewer entries: the leftmost), as DRF's ``NUM_PROXIES`` reads it.
    An entry that is not an IP address falls back to ``REMOTE_ADDR``."""
    remote = str(meta.get("REMOTE_ADDR") or "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    hops = str(forwarded).split(",")
    candidate = hops[-min(proxies, len(hops))].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"api:login-failures:{kind}:{digest}"


def _keys(username: str, ip: str) -> dict[str, tuple[str, int]]:
    account = username.strip().lower()
    return {
        "account_address": (_key("account-address", account, ip), LOGIN_MAX_FAILURES),
        "account": (_key("account", account), LOGIN_MAX_ACCOUNT_FAILURES),
        "address": (_key("address", ip), LOGIN_MAX_ADDRESS_FAILURES),
    }


def login_retry_after(*, username: str, ip: str) -> int | None:
    """Seconds until sign-in may be tried again (the longest wait of the limits reached),
    or ``None`` if it may be tried now."""
    keys = _keys(username, ip)
    names = [name for key, _ in keys.values() for name in (key, f"{key}:since")]
    values = cache.get_many(names)
    now = time.time()
    waits = [
        max(1, math.ceil(float(values.get(f"{key}:since", now)) + LOGIN_FAILURE_WINDOW - now))
        for key, limit in keys.values()
        if values.get(key, 0) >= limit
    ]
    return max(waits) if waits else None


def _increment(key: str) -> int:
    cache.add(f"{key}:since", time.time(), timeout=LOGIN_FAILURE_WINDOW)
    cache.add(key, 0, timeout=LOGIN_FAILURE_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=LOGIN_FAILURE_WINDOW)
        return 1


def login_failure_record(*, username: str, ip: str) -> dict[str, int]:
    """Count a failed attempt under every key; returns each key's failures in its window."""
    return {name: _increment(key) for name, (key, _) in _keys(username, ip).items()}


def login_failures_clear(*, username: str, ip: str) -> None:
    """After a successful sign-in: forget the account's failures (not the address's)."""
    keys = _keys(username, ip)
    names = [keys["account_address"][0], keys["account"][0]]
    cache.delete_many([name for key in names for name in (key, f"{key}:since")])
