"""Domain errors raised by services. The API maps each to its status and stable code
(``revo.api``); the admin shows their message; commands print it and exit non-zero."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class Conflict(DomainError):
    """The request conflicts with the current state (e.g. someone else decided first)."""

    code = "conflict"


class IllegalTransition(Conflict):
    """A state machine refused a transition; ``allowed`` lists the ones it would take."""

    code = "illegal_transition"

    def __init__(self, message: str, *, allowed: list[str], current: str | None = None) -> None:
        super().__init__(message, details={"allowed_transitions": allowed, "current": current})
        self.allowed = allowed
        self.current = current


class InvalidInput(DomainError):
    """Input a service refuses (validation beyond what a form or serializer checks)."""

    code = "validation_error"
