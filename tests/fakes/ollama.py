"""A fake Ollama server: a real HTTP server on a loopback port, scriptable per test.

    with fake_ollama_server() as fake:
        fake.queue_chat(chat_reply("not json"), chat_reply({"subject": "Hi"}))
        ...  # point OLLAMA_URL at fake.url
        assert fake.bodies("/api/chat")[0]["stream"] is False

Each path answers from its queue of scripted ``Reply`` objects first, then with its default
(valid JSON content for ``/api/chat``, deterministic vectors for ``/api/embed``). Every request
is recorded (path, decoded body, headers, arrival time) and the largest number of requests
in flight at once is tracked. ``ScriptedJSONServer`` is the reusable base (see
``tests/fakes/openai.py``)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_CHAT_CONTENT = json.dumps({"ok": True})


@dataclass
class Reply:
    """One scripted answer. ``body`` None means the path's default answer; a dict or list is
    sent as JSON, a str or bytes as is. ``delay`` seconds pass before the answer goes out
    (a slow server, or a hung one when longer than the client's read timeout)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    received_at: float  # time.monotonic()


# --------------------------------------------------------------------------- reply builders


def status_reply(status: int, error: str = "internal error", **headers: str) -> Reply:
    return Reply(status=status, body={"error": error}, headers=dict(headers))


def server_error(status: int = 500, error: str = "llama runner process has terminated") -> Reply:
    return status_reply(status, error)


def rate_limited(retry_after: str | None = None) -> Reply:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply(status=429, body={"error": "too many requests"}, headers=headers)


def slow(delay: float, reply: Reply | None = None) -> Reply:
    base = reply or Reply()
    return Reply(status=base.status, body=base.body, headers=base.headers, delay=delay)


def chat_reply(
    content: str | dict[str, Any] | list[Any],
    *,
    model: str = "qwen2.5:7b-instruct",
    prompt_tokens: int = 42,
    completion_tokens: int = 17,
    total_duration_ns: int = 1_234_000_000,
    done_reason: str = "stop",
) -> Reply:
    """A successful ``/api/chat`` answer; a dict or list ``content`` is sent as JSON text."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Reply(
        body={
            "model": model,
            "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": text},
            "done": True,
            "done_reason": done_reason,
            "total_duration": total_duration_ns,
            "load_duration": 1_000_000,
            "prompt_eval_count": prompt_tokens,
            "eval_count": completion_tokens,
        }
    )


def invalid_json_reply() -> Reply:
    return chat_reply("Sure! Here is the email: {subject: Hello")


def model_not_found(model: str = "qwen2.5:7b-instruct") -> Reply:
    return Reply(status=404, body={"error": f'model "{model}" not found, try pulling it first'})


def error_body(message: str = "unexpected server state") -> Reply:
    """HTTP 200 with an ``{"error": ...}`` body."""
    return Reply(status=200, body={"error": message})


def embed_reply(vectors: list[list[float]], *, model: str = "nomic-embed-text") -> Reply:
    return Reply(
        body={
            "model": model,
            "embeddings": vectors,
            "total_duration": 5_000_000,
            "prompt_eval_count": 3 * len(vectors),
        }
    )


def fake_vector(text: str, dimensions: int = 8) -> list[float]:
    """The deterministic vector the fakes return for ``text`` by default."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [round(digest[i] / 255, 6) for i in range(dimensions)]


def closed_port_url() -> str:
    """A loopback base URL nobody listens on: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------- the server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as Go's net/http (Ollama) sets it: otherwise the body, written after the
    # headers, waits for the client's delayed ACK (~40 ms per call on a kept-alive socket).
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.server.fake.handle(self)

    def do_GET(self) -> None:  # noqa: N802
        self.server.fake.handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: ScriptedJSONServer


class ScriptedJSONServer:
    """A loopback HTTP server answering from per-path scripts and defaults."""

    not_found_body: Any = "404 page not found"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._queues: dict[str, deque[Reply]] = {}
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0

    # -- lifecycle

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ScriptedJSONServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a scripted delay
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedJSONServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting and assertions

    def queue(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._queues.setdefault(path, deque()).extend(replies)

    def bodies(self, path: str | None = None) -> list[Any]:
        return [r.body for r in self.recorded(path)]

    def recorded(self, path: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def count(self, path: str | None = None) -> int:
        return len(self.recorded(path))

    def routes(self) -> dict[str, Callable[[Any], Reply]]:
        """Default answer per path; subclasses fill it."""
        return {}

    # -- request handling (runs in the server's threads)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method=handler.command,
                    path=path,
                    body=body,
                    headers=dict(handler.headers.items()),
                    received_at=time.monotonic(),
                )
            )
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            queued = self._queues.get(path)
            scripted = queued.popleft() if queued else None
        try:
            reply = self._resolve(path, body, scripted)
            if reply.delay:
                self._stopping.wait(reply.delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        self._send(handler, reply)

    def _resolve(self, path: str, body: Any, scripted: Reply | None) -> Reply:
        default = self.routes().get(path)
        if scripted is not None and scripted.body is not None:
            return scripted
        if default is None:
            return scripted or Reply(status=404, body=self.not_found_body)
        answer = default(body)
        if scripted is None:
            return answer
        # A scripted reply without a body (``slow(0.5)``) delays the default answer.
        return Reply(
            status=scripted.status,
            body=answer.body,
            headers={**answer.headers, **scripted.headers},
            delay=scripted.delay,
        )

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if isinstance(reply.body, dict | list):
            payload, content_type = json.dumps(reply.body).encode(), "application/json"
        elif isinstance(reply.body, bytes):
            payload, content_type = reply.body, "application/octet-stream"
        else:
            payload, content_type = str(reply.body or "").encode(), "text/plain; charset=utf-8"
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client gave up (read timeout)


class FakeOllama(ScriptedJSONServer):
    """``/api/chat`` answers ``chat_content`` (valid JSON text) by default; ``/api/embed``
    answers ``fake_vector(text, embed_dimensions)`` for every input."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.chat_content: str | Callable[[dict[str, Any]], str] = DEFAULT_CHAT_CONTENT
        self.embed_dimensions = 8

    def queue_chat(self, *replies: Reply) -> None:
        self.queue("/api/chat", *replies)

    def queue_embed(self, *replies: Reply) -> None:
        self.queue("/api/embed", *replies)

    def routes(self) -> dict[str, Callable[[Any], Reply]]:
        return {"/api/chat": self._default_chat, "/api/embed": self._default_embed}

    def _default_chat(self, body: Any) -> Reply:
        request = body if isinstance(body, dict) else {}
        content = self.chat_content(request) if callable(self.chat_content) else self.chat_content
        return chat_reply(content, model=str(request.get("model") or "qwen2.5:7b-instruct"))

    def _default_embed(self, body: Any) -> Reply:
        request = body if isinstance(body, dict) else {}
        texts = request.get("input") or []
        texts = [texts] if isinstance(texts, str) else texts
        return embed_reply(
            [fake_vector(str(text), self.embed_dimensions) for text in texts],
            model=str(request.get("model") or "nomic-embed-text"),
        )


@contextmanager
def fake_ollama_server() -> Iterator[FakeOllama]:
    """A started ``FakeOllama`` for the ``with`` block; use it to build a pytest fixture."""
    fake = FakeOllama()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
