from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.api.models import IdempotencyKey
from revo.api.services import idempotency_key_claim, idempotency_keys_purge
from tests.api.conftest import committed_admin_token
from tests.factories import DEFAULT_PASSWORD

USERS_URL = "/api/v1/users"


@pytest.fixture
def admin(user_by_role):  # noqa: ANN201
    return user_by_role(Role.ADMIN, email="root@example.com")


def _body(email: str = "new@example.com", role: str = "sdr") -> dict[str, str]:
    return {"email": email, "password": DEFAULT_PASSWORD, "role": role}


def _post(client, headers, body, key="key-1"):  # noqa: ANN001, ANN202
    return client.post(USERS_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **headers)


def test_same_key_and_body_replays_the_first_response(api_client, admin, auth_header):
    headers = auth_header(admin)

    first = _post(api_client, headers, _body())
    second = _post(api_client, headers, _body())

    assert first.status_code == 201
    assert "Idempotency-Replayed" not in first
    assert second.status_code == 201
    assert second["Idempotency-Replayed"] == "true"
    assert second.json() == first.json()
    assert User.objects.filter(email="new@example.com").count() == 1


def test_same_key_with_another_body_is_refused_with_422(api_client, admin, auth_header):
    headers = auth_header(admin)
    _post(api_client, headers, _body())

    response = _post(api_client, headers, _body(email="other@example.com"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert not User.objects.filter(email="other@example.com").exists()


def test_retry_while_the_first_request_still_runs_gets_409(api_client, admin, auth_header):
    from revo.api.idempotency import request_hash

    class _Body:
        data = _body()

    idempotency_key_claim(
        user=admin, endpoint=f"POST {USERS_URL}", key="key-1", request_hash=request_hash(_Body)
    )

    response = _post(api_client, auth_header(admin), _body())

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_key_left_in_progress_by_a_dead_request_is_reclaimed(api_client, admin, auth_header):
    IdempotencyKey.objects.create(
        user=admin,
        endpoint=f"POST {USERS_URL}",
        key="key-1",
        request_hash="0" * 64,
        created_at=timezone.now() - timedelta(minutes=11),
    )

    response = _post(api_client, auth_header(admin), _body())

    assert response.status_code == 201
    assert IdempotencyKey.objects.get().status == IdempotencyKey.Status.COMPLETED


def test_a_failed_request_releases_its_key(api_client, admin, auth_header):
    headers = auth_header(admin)
    failed = _post(api_client, headers, {**_body(), "password": "123"})

    fixed = _post(api_client, headers, _body())

    assert failed.status_code == 400
    assert fixed.status_code == 201
    assert "Idempotency-Replayed" not in fixed


@pytest.mark.parametrize(
    "second",
    ["other-user", "other-key", "no-key"],
)
def test_keys_are_scoped_to_user_and_key(api_client, admin, auth_header, user_by_role, second):
    _post(api_client, auth_header(admin), _body())
    if second == "other-user":
        other_admin = user_by_role(Role.ADMIN)
        response = _post(api_client, auth_header(other_admin), _body(email="b@example.com"))
    elif second == "other-key":
        response = _post(api_client, auth_header(admin), _body(email="b@example.com"), "key-2")
    else:
        response = api_client.post(
            USERS_URL, _body(email="b@example.com"), format="json", **auth_header(admin)
        )

    assert response.status_code == 201
    assert "Idempotency-Replayed" not in response
    assert User.objects.filter(email="b@example.com").exists()


def test_invalid_key_is_a_validation_error(api_client, admin, auth_header):
    response = _post(api_client, auth_header(admin), _body(), key="x" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]


def test_an_expired_key_runs_the_request_again(api_client, admin, auth_header):
    headers = auth_header(admin)
    _post(api_client, headers, _body())
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    User.objects.filter(email="new@example.com").delete()

    response = _post(api_client, headers, _body())

    assert response.status_code == 201
    assert "Idempotency-Replayed" not in response
    assert IdempotencyKey.objects.get().created_at > timezone.now() - timedelta(minutes=1)


def test_purge_deletes_keys_older_than_24_hours(api_client, admin, auth_header):
    headers = auth_header(admin)
    _post(api_client, headers, _body(), key="old")
    _post(api_client, headers, _body(email="b@example.com"), key="fresh")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1)
    )

    deleted = idempotency_keys_purge()

    assert deleted == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


def test_purge_command_covers_every_tenant(tenant, admin, in_other_tenant, capsys):
    old = timezone.now() - timedelta(days=2)
    IdempotencyKey.objects.create(user=admin, endpoint="POST /x", key="k", request_hash="0" * 64)
    IdempotencyKey.objects.update(created_at=old)
    with in_other_tenant():
        other_admin = User.objects.get(email="admin@other.example")
        IdempotencyKey.objects.create(
            user=other_admin, endpoint="POST /x", key="k", request_hash="0" * 64
        )
        IdempotencyKey.objects.update(created_at=old)

    call_command("purge_idempotency_keys")

    assert "2 expired idempotency keys deleted" in capsys.readouterr().out
    assert not IdempotencyKey.objects.exists()
    with in_other_tenant():
        assert not IdempotencyKey.objects.exists()


PARALLEL = 24


@pytest.mark.django_db
def test_parallel_identical_posts_execute_exactly_once(committed_tenant, django_db_blocker):
    schema = committed_tenant.tenant.schema_name
    domain = committed_tenant.domain.domain
    body = _body(email="once@example.com")
    barrier = threading.Barrier(PARALLEL)

    def post(token: str) -> tuple[int, str | None, dict]:
        client = APIClient(HTTP_HOST=domain)
        barrier.wait()
        try:
            response = client.post(
                USERS_URL,
                body,
                format="json",
                HTTP_IDEMPOTENCY_KEY="parallel-1",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            return response.status_code, response.get("Idempotency-Replayed"), response.json()
        finally:
            connection.close()

    with django_db_blocker.unblock():
        token = committed_admin_token(committed_tenant)
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            results = list(pool.map(post, [token] * PARALLEL))
        with schema_context(schema):
            created = User.objects.filter(email="once@example.com").count()
            keys = list(IdempotencyKey.objects.values_list("status", flat=True))

    executed = [r for r in results if r[0] == 201 and r[1] is None]
    replayed = [r for r in results if r[0] == 201 and r[1] == "true"]
    in_progress = [r for r in results if r[0] == 409]
    assert len(executed) == 1
    assert len(replayed) + len(in_progress) == PARALLEL - 1
    assert all(r[2] == executed[0][2] for r in replayed)
    assert all(r[2]["error"]["code"] == "conflict" for r in in_progress)
    assert created == 1
    assert keys == ["completed"]
