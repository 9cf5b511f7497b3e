from __future__ import annotations

import io
import json
import logging

import pytest

from revo.core import context
from revo.core.logging import ContextFilter, JSONFormatter


@pytest.fixture
def json_log() -> io.StringIO:
    """Capture what the production handler writes: JSON lines with context."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_line_is_one_json_object_with_the_standard_fields(json_log):
    with context.bind(run_id="run-1", agent="sdr"):
        logging.getLogger("revo.test").warning("hello %s", "world", extra={"event": "test.hello"})

    (line,) = _lines(json_log)
    assert line["message"] == "hello world"
    assert line["event"] == "test.hello"
    assert line["level"] == "warning"
    assert line["logger"] == "revo.test"
    assert line["run_id"] == "run-1"
    assert line["agent"] == "sdr"
    for key in ("timestamp", "tenant", "user_id", "request_id"):
        assert key in line


def test_request_id_from_the_client_is_echoed_and_in_every_log_line(tenant_client, json_log):
    response = tenant_client.get("/admin/login/", HTTP_X_REQUEST_ID="req-abc-123")

    assert response["X-Request-ID"] == "req-abc-123"
    lines = [line for line in _lines(json_log) if line.get("request_id") is not None]
    access = [line for line in lines if line["event"] == "http.request"]
    assert access, "the request wrote no access log line"
    assert {line["request_id"] for line in lines} == {"req-abc-123"}
    assert access[0]["tenant"] == "test"
    assert access[0]["status"] == 200


def test_request_id_is_generated_when_absent_or_malformed(tenant_client, json_log):
    generated = tenant_client.get("/health/live")["X-Request-ID"]
    replaced = tenant_client.get("/health/live", HTTP_X_REQUEST_ID="bad id\nwith newline")[
        "X-Request-ID"
    ]

    assert len(generated) == 32
    assert replaced != "bad id\nwith newline"
    assert len(replaced) == 32


def test_logged_in_user_id_is_on_the_access_line(tenant_client, json_log):
    from tests.conftest import ADMIN_PASSWORD
    from tests.factories import UserFactory

    user = UserFactory(email="logger@example.com", password=ADMIN_PASSWORD)
    tenant_client.force_login(user)

    tenant_client.get("/admin/")

    access = [line for line in _lines(json_log) if line["event"] == "http.request"]
    assert access[-1]["user_id"] == user.pk
