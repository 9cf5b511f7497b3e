"""The one small reader for configuration from the environment.

A malformed value stops the process with one line naming the variable (``SystemExit``),
never a traceback deep inside Django.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit


class ConfigError(SystemExit):
    """A configuration value is missing or malformed; exits with one line naming it."""

    def __init__(self, message: str) -> None:
        super().__init__(f"configuration error: {message}")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_config(name: str = "DATABASE_URL") -> dict:
    """Django DATABASES entry from ``DATABASE_URL``, or the embedded PostgreSQL when unset."""
    import dj_database_url

    raw = os.environ.get(name, "").strip()
    if not raw:
        from revo.embedded import EmbeddedError, ensure_postgres

        try:
            raw = ensure_postgres()
        except EmbeddedError as exc:
            raise ConfigError(f"{name} is unset and {exc}") from None
    parts = urlsplit(raw)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ConfigError(f"{name} must be a postgresql:// URL, got scheme {parts.scheme!r}")
    try:
        _ = parts.port  # raises ValueError on a malformed port
        config = dj_database_url.parse(raw, conn_max_age=0, conn_health_checks=True)
    except ValueError as exc:
        raise ConfigError(f"{name} is not a valid database URL: {exc}") from None
    if not config.get("NAME"):
        raise ConfigError(f"{name} names no database")
    config["ENGINE"] = "django_tenants.postgresql_backend"
    return config


def redis_url(name: str = "REDIS_URL") -> str:
    """``REDIS_URL``, or the embedded Redis when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        from revo.embedded import EmbeddedError, ensure_redis

        try:
            return ensure_redis()
        except EmbeddedError as exc:
            raise ConfigError(f"{name} is unset and {exc}") from None
    parts = urlsplit(raw)
    try:
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise ConfigError(f"{name} has an invalid port: {raw!r}") from None
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ConfigError(f"{name} must look like redis://host:port/db, got {raw!r}")
    return raw
