"""One typed error hierarchy for everything that talks to a model.

Agents and Celery tasks act on the class, never on the message: a ``RetryableLLMError`` may
succeed if tried again later (connection refused, timeout, 429, 5xx, an open circuit); a
``TerminalLLMError`` will not (a 4xx, a model that is not pulled, a bad request, output that
stays invalid)."""

from __future__ import annotations


class LLMError(Exception):
    """Base of every error raised by the LLM layer."""

    retryable: bool = False

    def __init__(self, message: str, *, endpoint: str | None = None, status: int | None = None):
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status


class RetryableLLMError(LLMError):
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, endpoint=endpoint, status=status)
        # Seconds the server (429 Retry-After) or the circuit breaker asks to wait, if known;
        # a Celery task can use it as its retry countdown.
        self.retry_after = retry_after


class TerminalLLMError(LLMError):
    retryable = False


class LLMConnectionError(RetryableLLMError):
    """The server could not be reached (refused, reset, DNS)."""


class LLMTimeoutError(RetryableLLMError):
    """Connect or read timeout."""


class LLMRateLimitedError(RetryableLLMError):
    """HTTP 429."""


class LLMServerError(RetryableLLMError):
    """HTTP 5xx."""


class LLMCircuitOpenError(RetryableLLMError):
    """Every endpoint's circuit breaker is open; try again after the cool-down."""


class LLMModelNotFoundError(TerminalLLMError):
    """The model is not available on the server (Ollama: not pulled)."""


class LLMRequestError(TerminalLLMError):
    """HTTP 4xx other than 404/429, or an ``{"error": ...}`` body that is not retryable."""


class LLMResponseError(TerminalLLMError):
    """The server answered 200 with a body that is not what the API promises."""


class LLMOutputInvalidError(TerminalLLMError):
    """The model's output stayed invalid after the allowed re-asks."""


class PromptError(TerminalLLMError):
    """A prompt is missing, inactive, or its context lacks declared inputs."""
