from __future__ import annotations

import pytest

from revo.accounts.models import User
from revo.accounts.roles import Role
from tests.factories import DEFAULT_PASSWORD, UserFactory

USERS_URL = "/api/v1/users"


@pytest.fixture
def admin(user_by_role):  # noqa: ANN201
    return user_by_role(Role.ADMIN, email="root@example.com")


def _bulk_users(count: int, role: str = Role.VIEWER) -> None:
    User.objects.bulk_create(
        User(email=f"bulk{i:04d}-{role}@example.com", role=role, password="!") for i in range(count)
    )


def test_list_is_paginated_50_per_page_by_default(api_client, admin, auth_header):
    _bulk_users(60)

    response = api_client.get(USERS_URL, **auth_header(admin))

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == User.objects.count()
    assert len(body["results"]) == 50
    assert body["next"].endswith("page=2")
    assert set(body["results"][0]) == {
        "id",
        "email",
        "full_name",
        "role",
        "is_active",
        "date_joined",
    }


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [("10", 10), ("200", 200), ("500", 200)],
    ids=["small", "max", "capped-at-max"],
)
def test_page_size_is_chosen_by_the_client_up_to_200(
    api_client, admin, auth_header, page_size, expected
):
    _bulk_users(210)

    response = api_client.get(USERS_URL, {"page_size": page_size}, **auth_header(admin))

    assert len(response.json()["results"]) == expected


def test_list_filters_by_role_and_orders(api_client, admin, auth_header):
    _bulk_users(3, Role.SALES)
    _bulk_users(2, Role.FINANCE)

    response = api_client.get(
        USERS_URL, {"role": "sales", "ordering": "-email"}, **auth_header(admin)
    )

    emails = [user["email"] for user in response.json()["results"]]
    assert emails == [f"bulk{i:04d}-sales@example.com" for i in (2, 1, 0)]


def test_unknown_filter_value_is_a_validation_error(api_client, admin, auth_header):
    response = api_client.get(USERS_URL, {"role": "emperor"}, **auth_header(admin))

    assert response.status_code == 400
    assert "role" in response.json()["error"]["details"]


def test_page_past_the_end_is_not_found(api_client, admin, auth_header):
    response = api_client.get(USERS_URL, {"page": 99}, **auth_header(admin))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("rows", [5, 150], ids=["few-users", "many-users"])
def test_list_query_count_is_constant(
    api_client, admin, auth_header, django_assert_max_num_queries, rows
):
    _bulk_users(rows)
    headers = auth_header(admin)

    # host → tenant (1 + search path), then per query a search path: the token's user,
    # the count and the page; the same whatever the number of rows
    with django_assert_max_num_queries(8):
        response = api_client.get(USERS_URL, {"page_size": 200}, **headers)

    assert response.status_code == 200


def test_admin_creates_a_user_and_gets_its_id(api_client, admin, auth_header):
    response = api_client.post(
        USERS_URL,
        {"email": "New@Example.com", "password": DEFAULT_PASSWORD, "role": "sdr"},
        format="json",
        **auth_header(admin),
    )

    assert response.status_code == 201
    created = User.objects.get(pk=response.json()["id"])
    assert created.email == "new@example.com"
    assert created.role == Role.SDR
    assert created.check_password(DEFAULT_PASSWORD)
    assert created.groups.get().name == Role.SDR


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "root@example.com", "password": DEFAULT_PASSWORD, "role": "sdr"}, "email"),
        ({"email": "x@example.com", "password": "123", "role": "sdr"}, "password"),
        ({"email": "x@example.com", "password": DEFAULT_PASSWORD, "role": "king"}, "role"),
        (
            {"email": "x@example.com", "password": DEFAULT_PASSWORD, "role": "sdr", "x": 1},
            "x",
        ),
    ],
    ids=["duplicate-email", "weak-password", "unknown-role", "unknown-field"],
)
def test_invalid_user_is_refused_and_nothing_is_written(
    api_client, admin, auth_header, body, field
):
    before = User.objects.count()

    response = api_client.post(USERS_URL, body, format="json", **auth_header(admin))

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert User.objects.count() == before


def test_admin_changes_a_role_and_the_users_tokens_stop_working(
    api_client, admin, auth_header, user_by_role
):
    seller = user_by_role(Role.SALES)
    sellers_header = auth_header(seller)

    response = api_client.patch(
        f"{USERS_URL}/{seller.pk}", {"role": "viewer"}, format="json", **auth_header(admin)
    )

    assert response.status_code == 200
    assert response.json()["id"] == seller.pk
    assert response.json()["role"] == "viewer"
    seller.refresh_from_db()
    assert seller.permissions_version == 2
    assert api_client.get("/api/v1/auth/me", **sellers_header).status_code == 401


def test_patching_anything_but_the_role_is_refused(api_client, admin, auth_header, user_by_role):
    seller = user_by_role(Role.SALES)

    response = api_client.patch(
        f"{USERS_URL}/{seller.pk}",
        {"email": "evil@example.com"},
        format="json",
        **auth_header(admin),
    )

    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]


def test_users_of_another_tenant_are_invisible(api_client, admin, auth_header, in_other_tenant):
    with in_other_tenant():
        stranger = UserFactory(email="stranger@example.com")

    listed = api_client.get(USERS_URL, {"email": "stranger"}, **auth_header(admin))

    assert listed.json()["count"] == 0
    assert User.objects.filter(pk=stranger.pk, email="stranger@example.com").count() == 0
