"""Every API endpoint × every role, derived from the URL configuration and the role table:
an endpoint added without a declared permission, or answering against the table, fails."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.checks import Error
from django.test import override_settings
from django.urls import path

from revo.accounts.roles import Role
from revo.api.checks import api_views, check_permissions_declared, view_methods
from revo.api.permissions import PUBLIC, required_permission_for, role_allows
from revo.api.views import ApiView

TENANT_URLCONF = "revo.urls_tenant"
ROLES = [None, *Role.values]  # None: anonymous
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_SAMPLE = {"int": "999999", "uuid": str(uuid.uuid4()), "slug": "sample", "str": "sample"}


def _concrete(route: str) -> str:
    return "/" + _PARAM.sub(lambda m: _SAMPLE.get(m.group("converter") or "str", "1"), route)


def _endpoints(urlconf: str = TENANT_URLCONF) -> list[tuple[str, str, type]]:
    return [
        (_concrete(route), method, view_class)
        for route, view_class in api_views(urlconf)
        for method in view_methods(view_class)
    ]


ENDPOINTS = _endpoints()


def test_the_url_walk_finds_the_api():
    found = {(url, method) for url, method, _ in ENDPOINTS}

    assert ("/api/v1/users", "GET") in found
    assert ("/api/v1/users/999999", "PATCH") in found
    assert ("/api/v1/auth/token", "POST") in found


@pytest.mark.parametrize(("url", "method", "view_class"), ENDPOINTS, ids=lambda v: str(v))
def test_every_endpoint_declares_its_permission(url, method, view_class):
    assert required_permission_for(view_class, method) is not None


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
@pytest.mark.parametrize(
    ("url", "method", "view_class"),
    ENDPOINTS,
    ids=[f"{method} {url}" for url, method, _ in ENDPOINTS],
)
def test_endpoint_allows_exactly_the_roles_the_table_grants(
    api_client, user_by_role, auth_header, url, method, view_class, role
):
    permission = required_permission_for(view_class, method)
    headers = auth_header(user_by_role(role)) if role else {}

    response = getattr(api_client, method.lower())(url, {}, format="json", **headers)

    if role_allows(role, permission):
        assert response.status_code not in (401, 403), response.content
    elif role is None:
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


def test_views_delegating_a_per_object_permission_let_every_role_reach_their_check():
    # Some permissions depend on the object the URL names: deciding an artifact needs its
    # type's REVIEW_PERMISSION, running or retrying an agent needs agents.run_<agent>. Such
    # views declare a view-level permission every role holds (so the matrix above expects
    # no 403 from the view layer for any signed-in role) and name the check they delegate
    # in ``delegated_permission``; tests/api/test_reviews.py and test_runs.py test that
    # check per role and per object type.
    delegating = {
        (url, method): view_class
        for url, method, view_class in ENDPOINTS
        if getattr(view_class, "delegated_permission", None)
    }

    assert {url.rsplit("/", 1)[-1] for url, _ in delegating} >= {"decision", "run", "retry"}
    for (_, method), view_class in delegating.items():
        permission = required_permission_for(view_class, method)
        assert all(role_allows(role, permission) for role in Role.values), view_class


def test_a_view_without_a_declared_permission_fails_the_system_check():
    class Undeclared(ApiView):
        def get(self, request):  # noqa: ANN001, ANN202
            raise AssertionError("never reached")

    urlconf = type("urlconf", (), {"urlpatterns": [path("api/v1/oops", Undeclared.as_view())]})

    with override_settings(ROOT_URLCONF=urlconf):
        errors = check_permissions_declared()

    assert [e.id for e in errors] == ["api.E001"]
    assert isinstance(errors[0], Error)
    assert "Undeclared" in errors[0].msg


def test_a_mapping_missing_a_method_fails_the_system_check():
    class HalfDeclared(ApiView):
        required_permission = {"GET": PUBLIC}

        def get(self, request):  # noqa: ANN001, ANN202
            raise AssertionError("never reached")

        def post(self, request):  # noqa: ANN001, ANN202
            raise AssertionError("never reached")

    urlconf = type("urlconf", (), {"urlpatterns": [path("api/v1/half", HalfDeclared.as_view())]})

    with override_settings(ROOT_URLCONF=urlconf):
        errors = check_permissions_declared()

    assert len(errors) == 1
    assert "POST" in errors[0].msg


def test_the_project_passes_the_permission_check():
    assert check_permissions_declared() == []


def test_an_undeclared_view_reached_anyway_answers_500_not_200(tenant, user_by_role, auth_header):
    from rest_framework.test import APIRequestFactory

    class Undeclared(ApiView):
        def get(self, request):  # noqa: ANN001, ANN202
            raise AssertionError("never reached")

    request = APIRequestFactory().get("/", **auth_header(user_by_role(Role.ADMIN)))

    response = Undeclared.as_view()(request)

    assert response.status_code == 500
