from __future__ import annotations

import socket

import pytest
from django.test import Client, override_settings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("host", ["test.localhost", "localhost", "10.1.2.3", "unknown.localhost"])
def test_live_answers_on_any_host(db, host):
    response = Client(HTTP_HOST=host).get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@override_settings(ALLOWED_HOSTS=["*"])
def test_ready_checks_postgres_and_redis(db):
    response = Client().get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


def test_ready_answers_503_naming_redis_when_redis_is_down(tenant_client):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        response = tenant_client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["redis"]
    assert body["checks"] == {"postgres": "ok", "redis": "unavailable"}


def test_ready_answers_503_naming_postgres_when_the_database_fails(tenant_client, monkeypatch):
    from revo.core import health

    def broken() -> None:
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "postgres", broken)

    response = tenant_client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["failed"] == ["postgres"]
