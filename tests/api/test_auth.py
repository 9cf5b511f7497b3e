from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from revo.accounts.roles import Role
from revo.accounts.services import user_set_role
from revo.api import throttling
from tests.conftest import OTHER_DOMAIN, PUBLIC_DOMAIN
from tests.factories import DEFAULT_PASSWORD

TOKEN_URL = "/api/v1/auth/token"
REFRESH_URL = "/api/v1/auth/token/refresh"
LOGOUT_URL = "/api/v1/auth/logout"
ME_URL = "/api/v1/auth/me"


pytestmark = pytest.mark.usefixtures("clean_login_counters")


def _sign_in(client, email: str, password: str = DEFAULT_PASSWORD):  # noqa: ANN001, ANN202
    return client.post(TOKEN_URL, {"email": email, "password": password}, format="json")


def _decode(token: str) -> dict:
    return jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_sign_in_returns_tokens_with_tenant_role_and_permissions_version(api_client, user_by_role):
    user = user_by_role(Role.SALES, email="seller@example.com")

    response = _sign_in(api_client, "Seller@Example.com")

    assert response.status_code == 200
    access = _decode(response.json()["access"])
    assert access["sub"] == str(user.pk)
    assert access["tenant"] == "test"
    assert access["role"] == "sales"
    assert access["permissions_version"] == user.permissions_version
    assert access["exp"] - access["iat"] == 600
    assert access["jti"]
    refresh = _decode(response.json()["refresh"])
    assert refresh["exp"] - refresh["iat"] == 86400
    assert refresh["tenant"] == "test"


def test_me_describes_the_signed_in_user(api_client, user_by_role, auth_header):
    user = user_by_role(Role.FINANCE, email="money@example.com")

    response = api_client.get(ME_URL, **auth_header(user))

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "money@example.com",
        "full_name": user.full_name,
        "role": "finance",
        "permissions_version": 1,
        "tenant": "test",
        "is_platform_operator": False,
    }


@pytest.mark.parametrize(
    ("email", "password"),
    [("nobody@example.com", DEFAULT_PASSWORD), ("known@example.com", "wrong-password")],
    ids=["unknown-email", "wrong-password"],
)
def test_bad_credentials_get_401_envelope(api_client, user_by_role, email, password):
    user_by_role(Role.VIEWER, email="known@example.com")

    response = _sign_in(api_client, email, password)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_inactive_user_cannot_sign_in(api_client, user_by_role):
    user = user_by_role(Role.VIEWER, email="gone@example.com")
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert _sign_in(api_client, "gone@example.com").status_code == 401


def test_sixth_attempt_after_five_failures_is_throttled_with_retry_after(api_client, user_by_role):
    user_by_role(Role.VIEWER, email="target@example.com")
    for _ in range(throttling.LOGIN_MAX_FAILURES):
        assert _sign_in(api_client, "target@example.com", "nope").status_code == 401

    response = _sign_in(api_client, "TARGET@example.com")  # even the right password

    assert response.status_code == 429
    body = response.json()["error"]
    assert body["code"] == "throttled"
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    assert body["details"]["retry_after"] == retry_after


def test_throttle_is_per_username_and_ip(api_client, user_by_role):
    user_by_role(Role.VIEWER, email="target@example.com")
    user_by_role(Role.VIEWER, email="bystander@example.com")
    for _ in range(throttling.LOGIN_MAX_FAILURES):
        _sign_in(api_client, "target@example.com", "nope")

    other_ip = APIClient(HTTP_HOST="test.localhost", REMOTE_ADDR="10.0.0.9")

    assert _sign_in(api_client, "bystander@example.com").status_code == 200
    assert _sign_in(other_ip, "target@example.com").status_code == 200


def test_successful_sign_in_resets_the_failure_count(api_client, user_by_role):
    user_by_role(Role.VIEWER, email="target@example.com")
    for _ in range(throttling.LOGIN_MAX_FAILURES - 1):
        _sign_in(api_client, "target@example.com", "nope")
    assert _sign_in(api_client, "target@example.com").status_code == 200

    for _ in range(throttling.LOGIN_MAX_FAILURES - 1):
        _sign_in(api_client, "target@example.com", "nope")

    assert _sign_in(api_client, "target@example.com").status_code == 200


def test_refresh_rotates_and_the_old_refresh_token_is_refused(api_client, user_by_role):
    user_by_role(Role.VIEWER, email="r@example.com")
    first = _sign_in(api_client, "r@example.com").json()

    rotated = api_client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")
    reused = api_client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]
    assert api_client.get(ME_URL, **_bearer(rotated.json()["access"])).status_code == 200
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "not_authenticated"


def test_access_token_is_not_accepted_as_refresh_token(api_client, user_by_role):
    user_by_role(Role.VIEWER, email="r@example.com")
    pair = _sign_in(api_client, "r@example.com").json()

    response = api_client.post(REFRESH_URL, {"refresh": pair["access"]}, format="json")

    assert response.status_code == 401


def test_logout_blacklists_the_refresh_token(api_client, user_by_role):
    user_by_role(Role.VIEWER, email="bye@example.com")
    pair = _sign_in(api_client, "bye@example.com").json()

    response = api_client.post(
        LOGOUT_URL, {"refresh": pair["refresh"]}, format="json", **_bearer(pair["access"])
    )

    assert response.status_code == 200
    assert response.json()["jti"] == _decode(pair["refresh"])["jti"]
    refused = api_client.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json")
    assert refused.status_code == 401


def test_logout_refuses_someone_elses_refresh_token(api_client, user_by_role):
    user_by_role(Role.VIEWER, email="a@example.com")
    user_by_role(Role.VIEWER, email="b@example.com")
    mine = _sign_in(api_client, "a@example.com").json()
    theirs = _sign_in(api_client, "b@example.com").json()

    response = api_client.post(
        LOGOUT_URL, {"refresh": theirs["refresh"]}, format="json", **_bearer(mine["access"])
    )

    assert response.status_code == 401
    assert api_client.post(REFRESH_URL, {"refresh": theirs["refresh"]}).status_code == 200


def test_token_is_refused_on_another_tenants_host(api_client, user_by_role, other_tenant):
    user_by_role(Role.ADMIN, email="boss@example.com")
    pair = _sign_in(api_client, "boss@example.com").json()
    other = APIClient(HTTP_HOST=OTHER_DOMAIN)

    me = other.get(ME_URL, **_bearer(pair["access"]))
    refresh = other.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json")

    assert me.status_code == 401
    assert me.json()["error"]["code"] == "not_authenticated"
    assert "WWW-Authenticate" in me
    assert refresh.status_code == 401


def test_role_change_revokes_existing_tokens(api_client, user_by_role):
    user = user_by_role(Role.SALES, email="moved@example.com")
    pair = _sign_in(api_client, "moved@example.com").json()

    user_set_role(user=user, role=Role.VIEWER)

    assert api_client.get(ME_URL, **_bearer(pair["access"])).status_code == 401
    assert api_client.post(REFRESH_URL, {"refresh": pair["refresh"]}).status_code == 401
    fresh = _sign_in(api_client, "moved@example.com").json()
    me = api_client.get(ME_URL, **_bearer(fresh["access"]))
    assert me.json()["role"] == "viewer"


def _forged(payload: dict, key: str, algorithm: str) -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda p, k: _forged(p, None, "none"), id="alg-none"),
        pytest.param(lambda p, k: _forged(p, k, "HS512"), id="hs512-same-key"),
        pytest.param(lambda p, k: _forged(p, settings.SECRET_KEY, "HS256"), id="secret-key"),
        pytest.param(lambda p, k: _forged({**p, "exp": p["iat"] - 1}, k, "HS256"), id="expired"),
    ],
)
def test_forged_or_expired_tokens_are_refused(api_client, user_by_role, forge):
    user_by_role(Role.ADMIN, email="boss@example.com")
    payload = _decode(_sign_in(api_client, "boss@example.com").json()["access"])

    token = forge(payload, settings.SIMPLE_JWT["SIGNING_KEY"])

    assert api_client.get(ME_URL, **_bearer(token)).status_code == 401


def test_signing_key_is_not_the_secret_key():
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    assert settings.SIMPLE_JWT["ALGORITHM"] == "HS256"
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=10)


def test_missing_token_gets_401_envelope(api_client):
    response = api_client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_platform_operator_signs_in_on_the_public_host(db):
    from django.core.management import call_command

    call_command(
        "create_platform_operator", "--email", "ops@revo.example", "--password", DEFAULT_PASSWORD
    )
    client = APIClient(HTTP_HOST=PUBLIC_DOMAIN)

    pair = _sign_in(client, "ops@revo.example").json()
    me = client.get(ME_URL, **_bearer(pair["access"])).json()

    assert _decode(pair["access"])["tenant"] == "public"
    assert me["is_platform_operator"] is True
    assert connection.schema_name == "public"
