"""Building blocks of the LLM HTTP layer: the retry policy, backoff with full jitter,
``Retry-After`` parsing and a small thread-safe circuit breaker per endpoint."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from django.conf import settings

_random = random.SystemRandom()


@dataclass(frozen=True)
class RetryPolicy:
    """Timeouts, retries, concurrency and circuit breaking for one pool of endpoints."""

    connect_timeout: float = 3.0
    read_timeout: float = 120.0
    # Extra rounds after the first one; a round tries every available endpoint once.
    max_retries: int = 2
    backoff_base: float = 0.5
    # Longest in-process wait between rounds; a longer Retry-After is raised to the caller.
    backoff_max: float = 10.0
    max_concurrency: int = 2
    breaker_threshold: int = 5
    breaker_cooldown: float = 30.0

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("LLM timeouts must be positive")
        if self.max_retries < 0:
            raise ValueError("LLM_MAX_RETRIES must be 0 or more")
        if self.max_concurrency < 1:
            raise ValueError("LLM_MAX_CONCURRENCY must be at least 1")
        if self.breaker_threshold < 1:
            raise ValueError("LLM_BREAKER_THRESHOLD must be at least 1")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.breaker_cooldown < 0:
            raise ValueError("LLM backoff and cool-down values must not be negative")

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            connect_timeout=settings.LLM_CONNECT_TIMEOUT,
            read_timeout=settings.LLM_READ_TIMEOUT,
            max_retries=settings.LLM_MAX_RETRIES,
            backoff_base=settings.LLM_BACKOFF_BASE,
            backoff_max=settings.LLM_BACKOFF_MAX,
            max_concurrency=settings.LLM_MAX_CONCURRENCY,
            breaker_threshold=settings.LLM_BREAKER_THRESHOLD,
            breaker_cooldown=settings.LLM_BREAKER_COOLDOWN,
        )


def backoff_delay(
    policy: RetryPolicy, round_number: int, retry_after: float | None = None
) -> float:
    """Seconds to wait before round ``round_number + 1``: full jitter over an exponential
    ceiling, but never less than what the server asked for with ``Retry-After``."""
    ceiling = min(policy.backoff_max, policy.backoff_base * (2**round_number))
    delay = _random.uniform(0.0, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date; ``None`` if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(tz=UTC))).total_seconds()
    return max(seconds, 0.0)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; after ``cooldown`` seconds lets one
    trial request through (half-open): its success closes the circuit, its failure opens it
    again for another cool-down."""

    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def acquire(self) -> bool:
        """May a request go out now? In half-open state only one trial at a time may; its
        owner must end it with ``success``, ``failure`` or ``release``."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_in_flight or self._failures >= self.threshold:
                self._opened_at = self._clock()
            self._trial_in_flight = False

    def release(self) -> None:
        """The request ended without saying anything about the server's health (429)."""
        with self._lock:
            self._trial_in_flight = False

    def retry_in(self) -> float:
        """Seconds until the next trial is allowed (0 when requests may go out)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(self.cooldown - (self._clock() - self._opened_at), 0.0)
