"""The one HTTP layer under the ``ollama`` and ``openai`` backends.

``ResilientClient.post_json`` sends a JSON body to a pool of base URLs and returns the decoded
JSON answer or raises one typed ``revo.llm.errors.LLMError``:

* connect and read timeouts on every request;
* a per-process limit of ``max_concurrency`` requests in flight per base URL (a semaphore),
  so Revo never queues more work on a server than it serves in parallel;
* failover: each round tries the base URLs in order, skipping those whose circuit is open,
  until one answers; a retryable failure moves on to the next URL at once;
* retries: when a whole round failed with retryable errors, wait (exponential backoff with
  full jitter, at least the server's ``Retry-After``) and run another round, up to
  ``max_retries`` extra rounds. 4xx answers are never retried and never failed over;
* a circuit breaker per base URL (see ``revo.llm.resilience.CircuitBreaker``); when every
  circuit is open the call fails fast with ``LLMCircuitOpenError``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from revo.llm.errors import (
    LLMCircuitOpenError,
    LLMConnectionError,
    LLMError,
    LLMRateLimitedError,
    LLMResponseError,
    LLMServerError,
    LLMTimeoutError,
    RetryableLLMError,
)
from revo.llm.resilience import CircuitBreaker, RetryPolicy, backoff_delay, parse_retry_after

logger = logging.getLogger("revo.llm.http")

# Turns a 4xx answer (status, decoded body, base URL) into the backend's terminal error.
ClientErrorMapper = Callable[[int, Any, str], LLMError]


@dataclass(frozen=True)
class HTTPResult:
    endpoint: str
    status: int
    body: dict[str, Any]
    latency_ms: float


def split_base_urls(raw: str, *, setting: str, default: str) -> tuple[str, ...]:
    """``"http://a:11434, http://b:11434"`` → validated base URLs without trailing slashes."""
    urls = [part.strip().rstrip("/") for part in (raw or default).split(",") if part.strip()]
    if not urls:
        raise ImproperlyConfigured(f"{setting} names no base URL")
    for url in urls:
        parts = urlsplit(url)
        try:
            _ = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{setting} has an invalid port: {url!r}") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ImproperlyConfigured(
                f"{setting} must hold http(s)://host[:port] URLs, got {url!r}"
            )
    return tuple(dict.fromkeys(urls))


def error_text(body: Any) -> str:
    """The human part of an error body: Ollama ``{"error": "..."}``, OpenAI
    ``{"error": {"message": "..."}}``, vLLM ``{"message": "..."}`` or plain text."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error)
        if error:
            return str(error)
        if body.get("message"):
            return str(body["message"])
    return str(body or "")[:300]


class Endpoint:
    """One base URL: its pooled session, its concurrency slots and its circuit breaker."""

    def __init__(self, base_url: str, policy: RetryPolicy, headers: dict[str, str]) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        adapter = HTTPAdapter(
            pool_connections=1, pool_maxsize=policy.max_concurrency, max_retries=0
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(headers)
        self.slots = threading.BoundedSemaphore(policy.max_concurrency)
        self.breaker = CircuitBreaker(policy.breaker_threshold, policy.breaker_cooldown)


class ResilientClient:
    def __init__(
        self,
        *,
        base_urls: Sequence[str],
        policy: RetryPolicy,
        map_client_error: ClientErrorMapper,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_urls:
            raise ImproperlyConfigured("an LLM backend needs at least one base URL")
        self.policy = policy
        self.map_client_error = map_client_error
        self._sleep = sleep
        all_headers = {"User-Agent": "revo-llm", **(headers or {})}
        self.endpoints = [Endpoint(url, policy, all_headers) for url in base_urls]

    @property
    def base_urls(self) -> list[str]:
        return [endpoint.base_url for endpoint in self.endpoints]

    def close(self) -> None:
        for endpoint in self.endpoints:
            endpoint.session.close()

    def post_json(self, path: str, payload: dict[str, Any]) -> HTTPResult:
        last_error: RetryableLLMError | None = None
        round_retry_after: float | None = None
        attempts = 0
        for round_number in range(self.policy.max_retries + 1):
            if last_error is not None:
                self._wait_before_round(round_number, last_error, round_retry_after)
            round_retry_after = None
            tried = 0
            for endpoint in self.endpoints:
                if not endpoint.breaker.acquire():
                    continue
                tried += 1
                attempts += 1
                try:
                    return self._attempt(endpoint, path, payload)
                except RetryableLLMError as exc:
                    last_error = exc
                    if exc.retry_after is not None:
                        round_retry_after = max(round_retry_after or 0.0, exc.retry_after)
                    logger.warning(
                        "LLM request failed: %s",
                        exc,
                        extra={
                            "event": "llm.http_failed",
                            "endpoint": endpoint.base_url,
                            "path": path,
                            "attempt": attempts,
                            "error_class": type(exc).__name__,
                        },
                    )
            if tried == 0:
                raise self._circuit_open_error(last_error)
        if last_error is None:  # unreachable: RetryPolicy refuses max_retries < 0
            raise LLMConnectionError("no request was attempted")
        raise _with_message(last_error, f"{last_error} (gave up after {attempts} attempts)")

    def _wait_before_round(
        self, round_number: int, last_error: RetryableLLMError, retry_after: float | None
    ) -> None:
        if retry_after is not None and retry_after > self.policy.backoff_max:
            # Too long to wait in-process: hand the wait to the caller (a Celery retry).
            raise _with_message(
                last_error, f"{last_error} (server asks to wait {retry_after:.0f}s)"
            )
        self._sleep(backoff_delay(self.policy, round_number - 1, retry_after))

    def _circuit_open_error(self, last_error: LLMError | None) -> LLMCircuitOpenError:
        wait = min(endpoint.breaker.retry_in() for endpoint in self.endpoints)
        cause = f"; last error: {last_error}" if last_error else ""
        error = LLMCircuitOpenError(
            f"every LLM endpoint's circuit is open ({', '.join(self.base_urls)}); "
            f"next trial in {wait:.1f}s{cause}",
            retry_after=wait,
        )
        error.__cause__ = last_error
        return error

    def _attempt(self, endpoint: Endpoint, path: str, payload: dict[str, Any]) -> HTTPResult:
        url = endpoint.base_url + path
        endpoint.slots.acquire()
        started = time.perf_counter()
        try:
            response = endpoint.session.post(
                url,
                json=payload,
                timeout=(self.policy.connect_timeout, self.policy.read_timeout),
            )
        except requests.RequestException as exc:
            endpoint.breaker.failure()
            raise self._transport_error(exc, endpoint.base_url, url) from exc
        finally:
            endpoint.slots.release()
        latency_ms = (time.perf_counter() - started) * 1000
        return self._classify(endpoint, response, latency_ms)

    def _transport_error(
        self, exc: requests.RequestException, base_url: str, url: str
    ) -> RetryableLLMError:
        if isinstance(exc, requests.ConnectTimeout):
            return LLMTimeoutError(
                f"connect timeout after {self.policy.connect_timeout}s on {url}",
                endpoint=base_url,
            )
        # A body that stalls after the headers surfaces as a ConnectionError wrapping urllib3's
        # ReadTimeoutError.
        if isinstance(exc, requests.ReadTimeout) or (
            exc.args and isinstance(exc.args[0], ReadTimeoutError)
        ):
            return LLMTimeoutError(
                f"read timeout after {self.policy.read_timeout}s on {url}", endpoint=base_url
            )
        return LLMConnectionError(f"cannot reach {url}: {_short(exc)}", endpoint=base_url)

    def _classify(
        self, endpoint: Endpoint, response: requests.Response, latency_ms: float
    ) -> HTTPResult:
        status = response.status_code
        body = _decode(response)
        base_url = endpoint.base_url
        if status == 429:
            endpoint.breaker.release()
            raise LLMRateLimitedError(
                f"{base_url} is rate limiting (429): {error_text(body)}",
                endpoint=base_url,
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            endpoint.breaker.failure()
            raise LLMServerError(
                f"{base_url} answered {status}: {error_text(body)}",
                endpoint=base_url,
                status=status,
            )
        endpoint.breaker.success()
        if status >= 400:
            raise self.map_client_error(status, body, base_url)
        if not isinstance(body, dict):
            raise LLMResponseError(
                f"{base_url} answered {status} with a body that is not a JSON object: "
                f"{str(body)[:200]!r}",
                endpoint=base_url,
                status=status,
            )
        return HTTPResult(endpoint=base_url, status=status, body=body, latency_ms=latency_ms)


def _decode(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _short(exc: Exception) -> str:
    """The root cause of a requests error ("[Errno 111] Connection refused"), not urllib3's
    wrapping of it."""
    inner: object = exc.args[0] if exc.args else exc
    inner = getattr(inner, "reason", None) or inner  # urllib3's MaxRetryError
    text = str(inner)
    if "Failed to establish a new connection: " in text:
        text = text.split("Failed to establish a new connection: ", 1)[1]
    return text if len(text) <= 200 else text[:200] + "…"


def _with_message(error: RetryableLLMError, message: str) -> RetryableLLMError:
    replacement = type(error)(
        message, endpoint=error.endpoint, status=error.status, retry_after=error.retry_after
    )
    replacement.__cause__ = error
    return replacement
