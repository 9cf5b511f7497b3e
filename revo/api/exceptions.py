"""Exceptions a view or service may raise to answer with a stable error code.

Each maps to one envelope (see ``revo.api.errors``)::

    raise Conflict("invoice already issued")
    raise IllegalTransition("deal is closed", allowed=["reopen"])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rest_framework import status


class ApiError(Exception):
    """Base of every domain error that has a stable API code."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "bad_request"
    default_message: str = "The request cannot be processed."

    def __init__(self, message: str | None = None, *, details: Mapping[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = dict(details or {})
        super().__init__(self.message)


class Conflict(ApiError):  # noqa: N818 - the API code is the name
    """The request is valid but clashes with the current state (already done, taken...)."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = "The request conflicts with the current state of the resource."


class IllegalTransition(Conflict):
    """A state machine refused a transition; ``allowed`` lists what the current state
    permits, so a client can offer the right actions."""

    code = "illegal_transition"
    default_message = "This transition is not allowed from the current state."

    def __init__(
        self,
        message: str | None = None,
        *,
        allowed: Sequence[str],
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details={**(details or {}), "allowed_transitions": list(allowed)})


class Unprocessable(ApiError):  # noqa: N818 - the API code is the name
    """Well-formed input that the domain refuses (e.g. tenant provisioning input)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "validation_error"
    default_message = "The request was understood but cannot be processed."
