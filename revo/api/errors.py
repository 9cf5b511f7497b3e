"""One error envelope for the whole API::

    {"error": {"code": "...", "message": "...", "details": {...}, "correlation_id": "..."}}

``exception_handler`` is DRF's handler; ``not_found`` and ``server_error`` answer Django's
404/500 under ``/api/`` the same way. A 500 carries an opaque ``error_id`` only; the
traceback goes to the log line carrying the same id.
"""

from __future__ import annotations

import logging
import math
import uuid
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django_fsm import TransitionNotAllowed
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from revo.api.exceptions import ApiError
from revo.core import context
from revo.core import exceptions as domain

logger = logging.getLogger("revo.api")

API_PREFIX = "/api/"

# code → (HTTP status, default message) for errors raised by DRF itself
_DRF_ERRORS: tuple[tuple[type[drf.APIException], str, str], ...] = (
    (drf.NotAuthenticated, "not_authenticated", "Authentication credentials were not provided."),
    (drf.AuthenticationFailed, "not_authenticated", "Authentication failed."),
    (drf.PermissionDenied, "permission_denied", "You do not have permission for this action."),
    (drf.NotFound, "not_found", "Not found."),
    (drf.MethodNotAllowed, "method_not_allowed", "Method not allowed."),
    (drf.NotAcceptable, "not_acceptable", "Cannot satisfy the Accept header."),
    (drf.UnsupportedMediaType, "unsupported_media_type", "Unsupported media type."),
    (drf.ParseError, "validation_error", "Malformed request body."),
    (drf.Throttled, "throttled", "Too many requests."),
)


def envelope(
    code: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    return {
        "error": {
            "code": code,
            "message": message,
            "details": details or {},
            "correlation_id": context.request_id_var.get(),
        }
    }


def _validation_details(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def _django_validation_details(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def _allowed_transitions(exc: TransitionNotAllowed) -> list[str]:
    from django_fsm import FSMFieldMixin

    instance = exc.object
    if instance is None:
        return []
    allowed: list[str] = []
    for field in instance._meta.fields:
        if isinstance(field, FSMFieldMixin):
            getter = getattr(instance, f"get_available_{field.name}_transitions", None)
            if getter is not None:
                allowed.extend(transition.name for transition in getter())
    return sorted(set(allowed))


def server_error_response() -> tuple[dict[str, Any], str]:
    """Log the exception being handled under a new opaque id; return the envelope."""
    error_id = uuid.uuid4().hex
    logger.exception(
        "unhandled error in the API", extra={"event": "api.server_error", "error_id": error_id}
    )
    body = envelope(
        "server_error",
        f"Internal server error. Quote error id {error_id} when reporting it.",
        {"error_id": error_id},
    )
    return body, error_id


def exception_handler(exc: Exception, ctx: dict[str, Any]) -> Response:
    """DRF ``EXCEPTION_HANDLER``: every exception becomes an envelope, never a traceback."""
    headers: dict[str, str] = {}
    if isinstance(exc, ApiError):
        status_code, body = exc.status_code, envelope(exc.code, exc.message, exc.details)
    elif isinstance(exc, domain.DomainError):
        status_code = _domain_status(exc)
        body = envelope(exc.code, exc.message, exc.details)
    elif isinstance(exc, drf.ValidationError):
        status_code = status.HTTP_400_BAD_REQUEST
        body = envelope(
            "validation_error", "The request is invalid.", _validation_details(exc.detail)
        )
    elif isinstance(exc, DjangoValidationError):
        status_code = status.HTTP_400_BAD_REQUEST
        body = envelope(
            "validation_error", "The request is invalid.", _django_validation_details(exc)
        )
    elif isinstance(exc, TransitionNotAllowed):
        status_code = status.HTTP_409_CONFLICT
        body = envelope(
            "illegal_transition",
            str(exc) or "This transition is not allowed from the current state.",
            {"allowed_transitions": _allowed_transitions(exc)},
        )
    elif isinstance(exc, IntegrityError):
        # a unique or check constraint caught what the service's checks did not (a race)
        status_code = status.HTTP_409_CONFLICT
        body = envelope("conflict", "The request conflicts with existing data.")
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        status_code, body = status.HTTP_404_NOT_FOUND, envelope("not_found", "Not found.")
    elif isinstance(exc, PermissionDenied):
        status_code = status.HTTP_403_FORBIDDEN
        body = envelope("permission_denied", "You do not have permission for this action.")
    elif isinstance(exc, drf.APIException):
        status_code, body, headers = _drf_error(exc, ctx)
    else:
        status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
        body, _ = server_error_response()
    set_rollback()
    return Response(body, status=status_code, headers=headers)


# Errors raised on purpose by services (``revo.core.exceptions``) → HTTP status.
_DOMAIN_STATUS: tuple[tuple[type[domain.DomainError], int], ...] = (
    (domain.NotFound, status.HTTP_404_NOT_FOUND),
    (domain.PermissionDenied, status.HTTP_403_FORBIDDEN),
    (domain.Conflict, status.HTTP_409_CONFLICT),
    (domain.InvalidInput, status.HTTP_422_UNPROCESSABLE_ENTITY),
)


def _domain_status(exc: domain.DomainError) -> int:
    return next(
        (code for exc_class, code in _DOMAIN_STATUS if isinstance(exc, exc_class)),
        status.HTTP_422_UNPROCESSABLE_ENTITY,
    )


def _drf_error(
    exc: drf.APIException, ctx: dict[str, Any]
) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers: dict[str, str] = {}
    code, message = "server_error", "Internal server error."
    for exc_class, known_code, default in _DRF_ERRORS:
        if isinstance(exc, exc_class):
            code, message = known_code, default
            break
    details: dict[str, Any] = {}
    detail = exc.detail
    if isinstance(detail, str) and detail:
        message = str(detail)
    elif isinstance(detail, dict):
        details = {key: value for key, value in detail.items() if key not in ("messages", "detail")}
        message = str(detail.get("detail", message))
    if isinstance(exc, drf.AuthenticationFailed | drf.NotAuthenticated):
        request = ctx.get("request")
        view = ctx.get("view")
        header = view.get_authenticate_header(request) if view and request else None
        if header:
            headers["WWW-Authenticate"] = header
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        wait = max(1, math.ceil(exc.wait))
        headers["Retry-After"] = str(wait)
        details["retry_after"] = wait
    if isinstance(exc, drf.MethodNotAllowed) and ctx.get("view") is not None:
        headers["Allow"] = ", ".join(ctx["view"].allowed_methods)
    return exc.status_code, envelope(code, message, details), headers


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: the envelope under ``/api/``, Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse(envelope("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the envelope with an opaque id under ``/api/``; Django logged the
    traceback already (``django.request``), we log the id with it."""
    if _is_api(request):
        body, _ = server_error_response()
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
