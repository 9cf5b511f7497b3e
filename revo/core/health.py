"""Liveness and readiness. Ready checks PostgreSQL and Redis and names what failed."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_postgres() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> None:
    timeout = settings.HEALTH_CHECK_TIMEOUT
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    try:
        client.ping()
    finally:
        client.close()


CHECKS = {"postgres": _check_postgres, "redis": _check_redis}


def ready(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            failed.append(name)
            results[name] = "unavailable"
            logger.warning(
                "%s is not ready: %s",
                name,
                exc.__class__.__name__,
                extra={"event": "health.not_ready", "check": name, "error": str(exc)},
            )
        else:
            results[name] = "ok"
    if failed:
        return JsonResponse(
            {"status": "unavailable", "failed": failed, "checks": results}, status=503
        )
    return JsonResponse({"status": "ok", "checks": results})
