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
