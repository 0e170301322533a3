"""A real SMTP server for the tests: ``aiosmtpd`` on 127.0.0.1, on a port the OS picks.

``smtp_server`` → an object with ``.host``, ``.port``, ``.messages`` (``email.message.EmailMessage``,
in the order received), ``.wait_for(n, timeout)``; ``.refuse(n, code)`` makes the next ``n`` RCPT
commands answer ``code`` (a server that says «try later»); ``.hold()`` returns an event: the next
message is stored, then the server waits on it before answering the DATA (a worker can be killed
right there); ``.stall_rcpt()`` makes RCPT wait the same way, before anything is stored.  ``smtp_app`` points the test's app at it (``MAIL_ENABLED`` on) and restores the
configuration afterwards.
"""
from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusals: list[str] = []
        self.held: threading.Event | None = None
        self.stalled: threading.Event | None = None
        self.holding = threading.Event()
        self.lock = threading.Condition()    # guards the lists; notified when a message is stored

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            stalled = self.stalled
        if stalled is not None:
            self.holding.set()
            while not stalled.is_set():
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)   # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.lock.notify_all()
            held, self.held = self.held, None
        if held is not None:
            self.holding.set()
            while not held.is_set():      # the message is stored; its 250 waits
                await asyncio.sleep(0.02)
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """``Controller`` on a socket bound to port 0 (never a fixed port: tests run in parallel)."""

    def __init__(self, handler: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        super().__init__(handler, hostname="127.0.0.1", port=self._sock.getsockname()[1])

    def _create_server(self):  # type: ignore[override]
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class SmtpServer:
    def __init__(self) -> None:
        self.handler = _Handler()
        self.controller = _Controller(self.handler)
        self.controller.start()
        self.host, self.port = "127.0.0.1", self.controller.port

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def recipients(self) -> list[list[str]]:
        with self.handler.lock:
            return [rcpts for _, rcpts in self.handler.envelopes]

    def wait_for(self, n: int, timeout: float = 10.0) -> list[EmailMessage]:
        """At least ``n`` messages, waiting up to ``timeout`` seconds (real time: another process sends)."""
        with self.handler.lock:
            self.handler.lock.wait_for(lambda: len(self.handler.messages) >= n, timeout)
        got = self.messages
        assert len(got) >= n, f"expected {n} message(s), the SMTP server got {len(got)}"
        return got

    def refuse(self, n: int, reply: str = "451 4.3.0 Prøv igjen senere") -> None:
        with self.handler.lock:
            self.handler.refusals.extend([reply] * n)

    def hold(self) -> threading.Event:
        release = threading.Event()
        with self.handler.lock:
            self.handler.held = release
        self.handler.holding.clear()
        return release

    def stall_rcpt(self) -> threading.Event:
        """Every RCPT waits (before anything is stored) until the returned event is set."""
        release = threading.Event()
        with self.handler.lock:
            self.handler.stalled = release
        self.handler.holding.clear()
        return release

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()
            self.handler.envelopes.clear()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture()
def smtp_server():
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def smtp_app(ctx, smtp_server):
    """The test's app sending mail to ``smtp_server`` (``MAIL_ENABLED`` on); the old settings come back after."""
    keys = {"MAIL_ENABLED": True, "MAIL_SMTP_HOST": smtp_server.host, "MAIL_SMTP_PORT": smtp_server.port,
            "MAIL_SMTP_STARTTLS": False, "MAIL_SMTP_USER": "", "MAIL_SMTP_TIMEOUT": 10.0}
    old = {k: ctx.config.get(k) for k in keys}
    ctx.config.update(keys)
    try:
        yield ctx
    finally:
        ctx.config.update(old)
