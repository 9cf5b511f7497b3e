from __future__ import annotations

import os
import subprocess
import sys

import pytest

SECRET = "s" * 40
VALID_ENV = {
    "SECRET_KEY": SECRET,
    "JWT_SIGNING_KEY": "j" * 40,
    "DATABASE_URL": "postgresql://revo:pw@db.internal:5432/revo",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "ALLOWED_HOSTS": ".revo.example",
}


def _load_prod(**overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **VALID_ENV, **overrides}
    code = (
        "from revo.settings import prod; jwt = prod.SIMPLE_JWT; "
        "print(jwt['SIGNING_KEY'] == prod.JWT_SIGNING_KEY, jwt['ALGORITHM'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_production_signs_tokens_with_the_dedicated_key():
    result = _load_prod()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "HS256"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"JWT_SIGNING_KEY": ""}, "JWT_SIGNING_KEY must be set"),
        ({"JWT_SIGNING_KEY": SECRET}, "JWT_SIGNING_KEY must differ from SECRET_KEY"),
        ({"JWT_SIGNING_KEY": "short"}, "JWT_SIGNING_KEY must be at least 32 characters"),
    ],
    ids=["missing", "same-as-secret-key", "too-short"],
)
def test_production_refuses_a_weak_jwt_signing_key(overrides, message):
    result = _load_prod(**overrides)

    assert result.returncode != 0
    assert message in result.stderr


def _proxy_settings(value: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXY_COUNT"}
    env.update(VALID_ENV)
    if value is not None:
        env["TRUSTED_PROXY_COUNT"] = value
    code = (
        "from revo.settings import prod; "
        "print(prod.TRUSTED_PROXY_COUNT, prod.REST_FRAMEWORK['NUM_PROXIES'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ["0", "0"]), ("", ["0", "0"]), ("2", ["2", "2"])],
    ids=["unset", "empty", "two-proxies"],
)
def test_trusted_proxy_count_comes_from_the_environment_and_sets_drf_num_proxies(value, expected):
    result = _proxy_settings(value)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "TRUSTED_PROXY_COUNT must be 0 or more"), ("two", "must be an integer")],
    ids=["negative", "not-a-number"],
)
def test_a_bad_trusted_proxy_count_is_refused(value, message):
    result = _proxy_settings(value)

    assert result.returncode != 0
    assert message in result.stderr
