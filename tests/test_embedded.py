"""The embedded services: started once, reused, safe under concurrent starts, stopped; and
the configuration errors an operator sees."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(overrides)
    return env


def _servers_for(home: Path) -> dict[str, int]:
    """Server processes whose working directory is under ``home`` (PostgreSQL runs in its
    data directory, Redis in its ``--dir``)."""
    counts = {"postgres": 0, "redis": 0}
    for proc in psutil.process_iter(attrs=["name", "ppid"]):
        try:
            cwd = proc.cwd()
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
        if not cwd.startswith(str(home)):
            continue
        if proc.info["name"] == "postgres" and proc.parent().name() != "postgres":
            counts["postgres"] += 1
        elif proc.info["name"] == "redis-server":
            counts["redis"] += 1
    return counts


def _database_url(settings) -> str:  # noqa: ANN001
    db = settings.DATABASES["default"]
    return f"postgresql://{db['USER']}:@/{db['NAME']}?host={db['HOST']}&port={db['PORT']}"


@pytest.mark.slow
def test_concurrent_starts_start_one_server_each_reuse_it_and_stop(tmp_path):
    home = tmp_path / "revo-home"
    env = _env(REVO_HOME=str(home))

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: _run(["-m", "revo.embedded", "start"], env), range(3)))
    try:
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
        assert len({r.stdout for r in results}) == 1, "the starts disagree on the URLs"
        assert _servers_for(home) == {"postgres": 1, "redis": 1}

        again = _run(["-m", "revo.embedded", "start"], env)
        assert again.stdout == results[0].stdout
        assert _servers_for(home) == {"postgres": 1, "redis": 1}
        assert (home / "pg" / "PG_VERSION").exists()
        assert (home / "redis" / "port").exists()
    finally:
        stopped = _run(["-m", "revo.embedded", "stop"], env)

    assert "postgres: stopped" in stopped.stdout
    assert "redis: stopped" in stopped.stdout
    status = _run(["-m", "revo.embedded", "status"], env)
    assert "postgres: not running" in status.stdout
    assert "redis: not running" in status.stdout


def test_nothing_embedded_starts_when_urls_are_set(tmp_path, settings):
    home = tmp_path / "unused-home"
    env = _env(
        REVO_HOME=str(home), DATABASE_URL=_database_url(settings), REDIS_URL=settings.REDIS_URL
    )

    result = _run(["manage.py", "check"], env)

    assert result.returncode == 0, result.stderr
    assert not (home / "pg").exists()
    assert not (home / "redis").exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://user@host/db"),
        ("DATABASE_URL", "postgresql://user@host:notaport/db"),
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "http://localhost:6379"),
        ("REDIS_URL", "redis://localhost:port/0"),
    ],
)
def test_malformed_url_fails_with_one_line_naming_the_variable(tmp_path, settings, variable, value):
    # the other variable points at the running servers, so nothing embedded starts here
    env = _env(REVO_HOME=str(tmp_path), DATABASE_URL=_database_url(settings))
    env["REDIS_URL"] = settings.REDIS_URL
    env[variable] = value

    result = _run(["manage.py", "check"], env, timeout=60)

    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr
