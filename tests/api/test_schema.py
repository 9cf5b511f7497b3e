from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import hypothesis
import pytest
import requests
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.accounts.services import user_create
from revo.api.checks import api_views, view_methods
from revo.api.tokens import access_token_issue
from tests.conftest import PUBLIC_DOMAIN, TEST_DOMAIN

MAX_EXAMPLES = 20


def _documented_operations(schema: dict) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _openapi_path(route: str) -> str:
    # drf-spectacular names a ``pk`` parameter ``id``
    route = route.replace("<int:pk>", "{id}")
    return "/" + re.sub(r"<(?:[^>:]+:)?([^>]+)>", r"{\1}", route)


def _routed_operations(urlconf: str) -> set[tuple[str, str]]:
    return {
        (_openapi_path(route), method)
        for route, view_class in api_views(urlconf)
        if route.startswith("api/v1/")
        for method in view_methods(view_class)
    }


@pytest.mark.parametrize(
    ("host", "urlconf"),
    [(TEST_DOMAIN, "revo.urls_tenant"), (PUBLIC_DOMAIN, "revo.urls_public")],
    ids=["tenant-host", "public-host"],
)
def test_schema_of_each_host_validates_and_lists_every_endpoint(client, db, host, urlconf):
    response = client.get("/api/schema/", {"format": "json"}, HTTP_HOST=host)

    assert response.status_code == 200
    schema = response.json()
    from drf_spectacular.validation import validate_schema

    validate_schema(schema)
    assert _documented_operations(schema) == _routed_operations(urlconf)
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {code for code in operation["responses"] if code[0] in "45"}
            assert "500" in errors, (method, path)
            for code in errors:
                ref = operation["responses"][code]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_schema_generates_without_warnings(tmp_path):
    for urlconf in ("revo.urls_tenant", "revo.urls_public"):
        call_command(
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--urlconf",
            urlconf,
            "--file",
            str(tmp_path / "schema.yaml"),
        )


@pytest.mark.parametrize("host", [TEST_DOMAIN, PUBLIC_DOMAIN], ids=["tenant-host", "public-host"])
def test_swagger_ui_is_served(client, db, host):
    response = client.get("/api/docs/", HTTP_HOST=host)

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture(scope="module")
def live_server_url() -> Iterator[str]:
    """Django's WSGI application on a threaded server on loopback."""
    server = make_server(
        "127.0.0.1",
        0,
        WSGIHandler(),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _fuzz(base_url: str, domain: str, schema_name: str) -> list[str]:
    """Every operation of the live schema with generated inputs; returns the failures."""
    raw = requests.get(
        f"{base_url}/api/schema/", params={"format": "json"}, headers={"Host": domain}, timeout=10
    )
    raw.raise_for_status()
    schema = schemathesis.openapi.from_dict(raw.json())
    with schema_context(schema_name):
        fuzzer = user_create(
            email="fuzzer@example.com", password="fuzzer-password-1", role=Role.ADMIN
        )

    def headers() -> dict[str, str]:
        # a generated PATCH may demote the fuzzer; restore it so later calls stay covered
        with schema_context(schema_name):
            User.objects.filter(pk=fuzzer.pk).update(role=Role.ADMIN, is_active=True)
            current = User.objects.get(pk=fuzzer.pk)
            return {"Host": domain, "Authorization": f"Bearer {access_token_issue(user=current)}"}

    checks = [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
    ]
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=base_url, headers=headers(), checks=checks, timeout=10)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {exc}")
    return failures


@pytest.mark.slow
@pytest.mark.django_db
def test_live_api_has_no_server_errors_or_schema_violations(committed_tenant, live_server_url):
    def fuzz_in_own_connection() -> list[str]:
        try:
            return _fuzz(
                live_server_url, committed_tenant.domain.domain, committed_tenant.tenant.schema_name
            )
        finally:
            connection.close()

    # its own thread: its own, autocommitting database connection, outside the test's
    # transaction, so the server's threads never wait on it
    with ThreadPoolExecutor(max_workers=1) as pool:
        failures = pool.submit(fuzz_in_own_connection).result()

    assert failures == []
