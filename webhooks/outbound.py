"""Outbound events: what an audit change becomes, how one delivery attempt goes, what to do next.

Payloads carry ids, types, times and links — never names, form data or free text — because a
subscriber is another system that fetches details through the API with its own access rights.
Pure: no Flask, no database; the HTTP client is passed in (tests may use httpx's MockTransport).
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from webhooks.signing import sign_headers
from webhooks.targets import Target

#: Audit change type → outbound event type (anything else is internal and not published).
EVENT_TYPES: dict[str, str] = {
    "case.opened": "case.opened",
    "task.created": "task.created",
    "task.completed": "task.completed",
    "deadline.overdue": "deadline.overdue",
    "deadline.changed": "deadline.changed",
    "case.completed": "case.closed",
    "case.terminated": "case.closed",
    "case.error": "case.error",
    "consent.withdrawn": "consent.withdrawn",
    "consent.renewal_due": "consent.renewal_due",
}
PUBLIC_TYPES: tuple[str, ...] = ("case.opened", "task.created", "task.completed", "deadline.overdue",
                                 "deadline.changed", "case.closed", "case.error", "consent.withdrawn",
                                 "consent.renewal_due")
#: Keys of an audit change's data that may leave the service (no names, no free text, no form data).
SAFE_KEYS = frozenset({"deadline", "due_at", "old_due_at", "new_due_at", "new_date", "previous_due_at", "lane", "role",
                       "process_key", "version", "timer", "kind", "consent_id", "valid_until"})

MAX_RESPONSE_BYTES = 64 * 1024
TIMEOUT = httpx.Timeout(connect=3.0, read=5.0, write=5.0, pool=3.0)

DELIVERED, RETRY, DEAD = "delivered", "retry", "dead"


def event_payload(event_type: str, msg_id: str, at: datetime, case_id: int | None, *,
                  process_key: str | None = None, element_id: str | None = None, task_id: str | None = None,
                  data: dict[str, Any] | None = None, outcome: str | None = None) -> dict[str, Any]:
    """The Standard Webhooks body ``{type, timestamp, data}`` for one event."""
    body: dict[str, Any] = {"id": msg_id, "case_id": case_id}
    if process_key:
        body["process_key"] = process_key
    if element_id:
        body["element_id"] = element_id
    if task_id:
        body["task_id"] = task_id
    if outcome:
        body["outcome"] = outcome
    for key, value in (data or {}).items():
        if key in SAFE_KEYS and (value is None or isinstance(value, (str, int, float, bool))):
            body[key] = value
    links: dict[str, str] = {}
    if case_id is not None:
        links["case"] = f"/api/v1/cases/{case_id}"
        links["events"] = f"/api/v1/cases/{case_id}/events"
    if task_id and event_type == "task.created":
        links["task"] = f"/api/v1/tasks/{task_id}"
    body["links"] = links
    return {"type": event_type, "timestamp": at.isoformat(), "data": body}


def encode(payload: dict[str, Any]) -> str:
    """The exact body text that is signed and sent (stored once so every attempt is identical)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def backoff(attempt: int, base: float, cap: float, jitter: float = 0.2,
            rand: Callable[[], float] = random.random) -> timedelta:
    """Wait before retry after failed attempt number ``attempt`` (1-based): base·2^(n-1) ± jitter, capped.

    Jitter spreads the retries of many events that failed together (a receiver outage), so the
    receiver is not hit by all of them in the same second when it comes back.
    """
    raw = min(cap, base * (2 ** max(0, attempt - 1)))
    return timedelta(seconds=max(0.0, raw * (1 + jitter * (2 * rand() - 1))))


def classify(status: int | None) -> str:
    """What a response means: 2xx delivered; 408, 429, 5xx and no answer retried; the rest is final.

    A 3xx is final too: redirects are never followed (a redirect could point inside our network).
    """
    if status is None:
        return RETRY
    if 200 <= status < 300:
        return DELIVERED
    if status in (408, 429) or status >= 500:
        return RETRY
    return DEAD


@dataclass(frozen=True)
class Attempt:
    """The outcome of one HTTP attempt."""

    outcome: str
    status: int | None
    error: str | None
    response_excerpt: str | None = None


def send(client: httpx.Client, target: Target, secret: str, msg_id: str, at: datetime, body: str) -> Attempt:
    """POST ``body`` once to the checked target, signed; read at most 64 KiB of the answer.

    Connects to the address that was checked (the host goes in ``Host`` and TLS SNI), so a DNS
    answer cannot change between the safety check and the connection.
    """
    headers = {"content-type": "application/json", "user-agent": "tilbolig-webhooks/1", "host": _host_header(target),
               **sign_headers(secret, msg_id, at, body)}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with client.stream("POST", target.pinned_url(), content=body.encode("utf-8"), headers=headers,
                           extensions=extensions, follow_redirects=False, timeout=TIMEOUT) as response:
            received = bytearray()
            for chunk in response.iter_raw():
                received += chunk
                if len(received) >= MAX_RESPONSE_BYTES:
                    break
            excerpt = bytes(received[:500]).decode("utf-8", errors="replace")
            outcome = classify(response.status_code)
            error = None if outcome == DELIVERED else f"HTTP {response.status_code}"
            return Attempt(outcome, response.status_code, error, excerpt)
    except httpx.TimeoutException as exc:
        return Attempt(RETRY, None, f"tidsavbrudd: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return Attempt(RETRY, None, f"tilkoblingsfeil: {type(exc).__name__}: {str(exc)[:200]}")


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def new_client() -> httpx.Client:
    """A client that ignores proxy environment variables and never follows redirects."""
    return httpx.Client(trust_env=False, follow_redirects=False, timeout=TIMEOUT)
