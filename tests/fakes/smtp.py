"""A real SMTP server on loopback (aiosmtpd) for the outbox tests, scriptable to answer
each delivery as a test needs.

    server = FakeSMTPServer().start()
    server.script("451 4.3.0 Try again later", "accept")   # first DATA temporary, then accept
    ...
    server.messages            # parsed ``email.message.EmailMessage`` objects received
    server.refuse_connections()  # stop listening: connecting gets "connection refused"
    server.stop()

Replies in the script are consumed one per message at the DATA stage (RCPT for replies
starting with ``rcpt:``); ``"accept"`` takes the message and ``"stall:<seconds>"`` holds the
DATA reply that long (to kill a worker mid-delivery). When the script is empty every message
is accepted.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

ACCEPT = "accept"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: FakeSMTPServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list
    ) -> str:
        reply = self.server._next_reply("rcpt")
        if reply != ACCEPT:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        import asyncio

        reply = self.server._next_reply("data")
        if reply.startswith("stall:"):
            self.server.stalled.set()
            await asyncio.sleep(float(reply.split(":", 1)[1]))
            reply = ACCEPT
        if reply != ACCEPT:
            return reply
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.server._lock:
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.server.messages.append(parsed)
        self.server.received.set()
        return "250 Message accepted for delivery"


class FakeSMTPServer:
    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.received = threading.Event()
        self.stalled = threading.Event()
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> FakeSMTPServer:
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse_connections(self) -> None:
        """Stop listening: clients get ECONNREFUSED until ``start()`` again."""
        self.stop()

    def script(self, *replies: str) -> None:
        """Replies for the next deliveries, in order (``"accept"``, ``"451 ..."``,
        ``"550 ..."``, ``"rcpt:550 ..."``, ``"stall:30"``)."""
        with self._lock:
            self._script.extend(replies)

    def _next_reply(self, stage: str) -> str:
        with self._lock:
            if not self._script:
                return ACCEPT
            head = self._script[0]
            if head.startswith("rcpt:"):
                if stage != "rcpt":
                    return ACCEPT
                self._script.popleft()
                return head.split(":", 1)[1]
            if stage == "rcpt":
                return ACCEPT
            return self._script.popleft()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")
