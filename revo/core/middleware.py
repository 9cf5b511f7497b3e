"""Correlation id, health checks ahead of tenant resolution, and log context."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse

from revo.core import context

access_logger = logging.getLogger("revo.access")

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a client's id only when it is a sane token; otherwise make our own.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _request_id_from(request: HttpRequest) -> str:
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    if supplied and _VALID_REQUEST_ID.match(supplied):
        return supplied
    return uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


class RequestIDMiddleware:
    """Takes ``X-Request-ID`` from the client or makes one, binds it for logging, and echoes
    it in the response. Outermost, so even a 404 for an unknown tenant host carries it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id_from(request)
        request.request_id = request_id
        started = time.perf_counter()
        with context.bind(request_id=request_id, tenant=None, user_id=None):
            response = self.get_response(request)
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "event": "http.request",
                    "user_id": _user_id(request),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        response[REQUEST_ID_HEADER] = request_id
        return response


class HealthCheckMiddleware:
    """Answers ``/health/live`` and ``/health/ready`` on any host: load balancers and
    orchestrators probe by IP, before any tenant is known."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from revo.core import health

        path = request.path_info.rstrip("/")
        if path == "/health/live":
            return health.live(request)
        if path == "/health/ready":
            return health.ready(request)
        return self.get_response(request)


class TenantLogContextMiddleware:
    """After django-tenants resolved the host: put the tenant's schema on every log line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with context.bind(tenant=connection.schema_name):
            return self.get_response(request)


class UserLogContextMiddleware:
    """After authentication: put the user's id on every log line of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with context.bind(user_id=_user_id(request)):
            return self.get_response(request)
