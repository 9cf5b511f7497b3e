from __future__ import annotations

import json
import logging

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from revo.accounts.roles import Role
from revo.core.logging import JSONFormatter
from tests.conftest import TEST_DOMAIN

FAILING_URLCONF = "tests.api.urls_failing"


@pytest.fixture
def failing_client(tenant):  # noqa: ANN201
    with override_settings(ROOT_URLCONF=FAILING_URLCONF):
        yield APIClient(HTTP_HOST=TEST_DOMAIN, raise_request_exception=False)


def _error(response) -> dict:  # noqa: ANN001
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "correlation_id"}
    assert body["error"]["correlation_id"] == response["X-Request-ID"]
    return body["error"]


@pytest.mark.parametrize(
    ("kind", "status", "code", "details"),
    [
        ("conflict", 409, "conflict", {}),
        ("illegal-transition", 409, "illegal_transition", {"allowed_transitions": ["reopen"]}),
        ("fsm", 409, "illegal_transition", {"allowed_transitions": []}),
        ("django-validation", 400, "validation_error", {"amount": ["must be positive"]}),
    ],
    ids=["conflict", "illegal-transition", "fsm-transition-not-allowed", "django-validation"],
)
def test_domain_errors_map_to_stable_codes(failing_client, kind, status, code, details):
    response = failing_client.get(f"/api/v1/_test/fail/{kind}", HTTP_X_REQUEST_ID="req-42")

    assert response.status_code == status
    error = _error(response)
    assert error["code"] == code
    assert error["details"] == details
    assert error["correlation_id"] == "req-42"


def test_unhandled_error_is_an_opaque_500_with_the_id_in_the_log(failing_client, caplog):
    with caplog.at_level(logging.ERROR, logger="revo.api"):
        response = failing_client.get("/api/v1/_test/fail/crash")

    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "server_error"
    error_id = error["details"]["error_id"]
    assert error_id in error["message"]
    raw = response.content.decode()
    assert "SELECT" not in raw
    assert "hunter2" not in raw
    assert "Traceback" not in raw
    logged = [r for r in caplog.records if getattr(r, "error_id", None) == error_id]
    assert len(logged) == 1
    assert logged[0].exc_info is not None


def test_500_log_line_is_json_with_the_error_id(failing_client, caplog):
    with caplog.at_level(logging.ERROR, logger="revo.api"):
        response = failing_client.get("/api/v1/_test/fail/crash")

    error_id = response.json()["error"]["details"]["error_id"]
    [record] = [r for r in caplog.records if getattr(r, "error_id", None) == error_id]
    line = json.loads(JSONFormatter().format(record))
    assert line["event"] == "api.server_error"
    assert line["error_id"] == error_id
    assert line["request_id"] == response["X-Request-ID"]
    assert "RuntimeError" in line["exc_info"]


def test_django_500_under_api_is_an_envelope_too(failing_client):
    response = failing_client.get("/api/v1/_test/django-crash")

    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "server_error"
    assert "psycopg" not in response.content.decode()


def test_unknown_api_path_is_a_404_envelope(api_client):
    response = api_client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_unknown_path_outside_the_api_keeps_the_html_404(tenant_client):
    response = tenant_client.get("/no-such-page")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "x", "extra": 1}, "extra", "Unknown field; it is not accepted here."),
        ({"name": "x", "id": 5}, "id", "This field is read-only."),
    ],
    ids=["unknown-key", "read-only-key"],
)
def test_input_with_unknown_or_read_only_keys_is_rejected(failing_client, body, field, message):
    response = failing_client.post("/api/v1/_test/echo", body, format="json")

    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert error["details"] == {field: [message]}


def test_accepted_input_passes_the_strict_serializer(failing_client):
    response = failing_client.post("/api/v1/_test/echo", {"name": "x"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"name": "x"}


def test_malformed_json_is_a_validation_error(api_client, user_by_role, auth_header):
    admin = user_by_role(Role.ADMIN)

    response = api_client.post(
        "/api/v1/users", "{not json", content_type="application/json", **auth_header(admin)
    )

    assert response.status_code == 400
    assert _error(response)["code"] == "validation_error"


def test_permission_denied_and_method_not_allowed_envelopes(api_client, user_by_role, auth_header):
    viewer = user_by_role(Role.VIEWER)

    denied = api_client.get("/api/v1/users", **auth_header(viewer))
    not_allowed = api_client.delete("/api/v1/auth/me", **auth_header(viewer))

    assert denied.status_code == 403
    assert _error(denied)["code"] == "permission_denied"
    assert not_allowed.status_code == 405
    assert _error(not_allowed)["code"] == "method_not_allowed"
