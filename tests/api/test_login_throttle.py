"""Sign-in throttling behind proxies and across accounts and addresses: which address a
failure counts against (``TRUSTED_PROXY_COUNT``), and the per-account and per-address
limits beside the account-and-address one."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from revo.accounts.roles import Role
from revo.api import throttling
from tests.factories import DEFAULT_PASSWORD

TOKEN_URL = "/api/v1/auth/token"
PROXY = "10.0.0.1"


pytestmark = pytest.mark.usefixtures("clean_login_counters")


def _client(remote: str = PROXY, forwarded: str | None = None) -> APIClient:
    extra = {"HTTP_HOST": "test.localhost", "REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient(**extra)


def _sign_in(client: APIClient, email: str, password: str = DEFAULT_PASSWORD) -> int:
    response = client.post(TOKEN_URL, {"email": email, "password": password}, format="json")
    return response.status_code


# --------------------------------------------------------------------------- the address


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, "192.0.2.50"),
        (0, "203.0.113.7", "192.0.2.50"),
        (1, None, "192.0.2.50"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (1, "198.51.100.1, unknown", "192.0.2.50"),
        (1, "", "192.0.2.50"),
    ],
    ids=[
        "no-proxy-no-header",
        "no-proxy-header-ignored",
        "proxy-without-header",
        "one-proxy",
        "one-proxy-client-prepended-a-spoof",
        "two-proxies",
        "fewer-hops-than-proxies-takes-the-leftmost",
        "ipv6-with-spaces",
        "not-an-address",
        "empty-header",
    ],
)
def test_client_address_reads_the_trusted_hop_of_x_forwarded_for(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": "192.0.2.50"}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded

    assert throttling.client_address(meta) == expected


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_throttle(
    settings, user_by_role
):
    settings.TRUSTED_PROXY_COUNT = 0
    user_by_role(Role.VIEWER, email="target@example.com")
    for attempt in range(throttling.LOGIN_MAX_FAILURES):
        forged = _client(forwarded=f"198.51.100.{attempt}")
        assert _sign_in(forged, "target@example.com", "nope") == 401

    assert _sign_in(_client(forwarded="198.51.100.99"), "target@example.com") == 429


def test_behind_a_proxy_each_client_has_its_own_bucket(settings, user_by_role):
    settings.TRUSTED_PROXY_COUNT = 1
    user_by_role(Role.VIEWER, email="target@example.com")
    attacker = _client(forwarded="203.0.113.7")
    for _ in range(throttling.LOGIN_MAX_FAILURES):
        assert _sign_in(attacker, "target@example.com", "nope") == 401

    assert _sign_in(attacker, "target@example.com") == 429
    assert _sign_in(_client(forwarded="203.0.113.8"), "target@example.com") == 200


def test_behind_a_proxy_a_prepended_spoof_still_counts_against_the_real_client(
    settings, user_by_role
):
    settings.TRUSTED_PROXY_COUNT = 1
    user_by_role(Role.VIEWER, email="target@example.com")
    for attempt in range(throttling.LOGIN_MAX_FAILURES):
        spoofing = _client(forwarded=f"198.51.100.{attempt}, 203.0.113.7")
        assert _sign_in(spoofing, "target@example.com", "nope") == 401

    assert _sign_in(_client(forwarded="198.51.100.99, 203.0.113.7"), "target@example.com") == 429


# --------------------------------------------------------------------------- the limits


def test_one_account_guessed_from_many_addresses_is_throttled_everywhere(user_by_role):
    user_by_role(Role.VIEWER, email="target@example.com")
    for attempt in range(throttling.LOGIN_MAX_ACCOUNT_FAILURES):
        assert _sign_in(_client(f"198.51.100.{attempt}"), "target@example.com", "nope") == 401

    fresh_address = _client("203.0.113.200")
    response = fresh_address.post(
        TOKEN_URL, {"email": "target@example.com", "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= throttling.LOGIN_FAILURE_WINDOW
    assert _sign_in(fresh_address, "someone-else@example.com", "nope") == 401


def test_one_address_trying_many_accounts_is_throttled_for_every_account(user_by_role):
    user_by_role(Role.VIEWER, email="bystander@example.com")
    sprayer = _client("198.51.100.1")
    for attempt in range(throttling.LOGIN_MAX_ADDRESS_FAILURES):
        assert _sign_in(sprayer, f"guess{attempt}@example.com", "nope") == 401

    assert _sign_in(sprayer, "bystander@example.com") == 429
    assert _sign_in(_client("198.51.100.2"), "bystander@example.com") == 200


def test_signing_in_clears_the_accounts_failures_but_not_the_addresses(user_by_role):
    user_by_role(Role.VIEWER, email="mine@example.com")
    sprayer = _client("198.51.100.1")
    for attempt in range(throttling.LOGIN_MAX_ADDRESS_FAILURES - 1):
        _sign_in(sprayer, f"guess{attempt}@example.com", "nope")
    for attempt in range(throttling.LOGIN_MAX_ACCOUNT_FAILURES - 1):
        _sign_in(_client(f"203.0.113.{attempt}"), "mine@example.com", "nope")

    assert _sign_in(sprayer, "mine@example.com") == 200
    # the account starts afresh: one more failure does not reach its limit
    assert _sign_in(_client("203.0.113.100"), "mine@example.com", "nope") == 401
    assert _sign_in(_client("203.0.113.101"), "mine@example.com") == 200
    # the address does not: its next failure reaches its limit
    assert _sign_in(sprayer, "another-guess@example.com", "nope") == 401
    assert _sign_in(sprayer, "mine@example.com") == 429
