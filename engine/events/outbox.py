"""The outbox: outbound webhook events written with the case change, delivered later by a worker.

``enqueue`` is a change hook of the case unit of work (``engine.cases.unit_of_work``): it runs in the same transaction as
the change, so a rolled-back change emits nothing and a committed one cannot be lost.  The
worker (``deliver_due``; ``tick`` for the scheduler; ``flask outbox deliver``) claims due rows —
``FOR UPDATE SKIP LOCKED`` plus a short lease on PostgreSQL, so several workers share the work —
and sends them in id order per (subscription, case): a later event of a case waits while an
earlier one is pending a retry.  Service glue: the pure parts live in ``webhooks/``.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased

from engine import clock
from engine.errors import Conflict, NotFound
from engine.extensions import db
from engine.store.models import AuditEvent, Case, ProcessVersion
from engine.store.webhooks import DEAD, DELIVERED, PENDING, OutboxEvent, WebhookSubscription
from webhooks import outbound
from webhooks.targets import UnresolvableHost, UnsafeTarget, check_url

log = logging.getLogger(__name__)

def setting(key: str) -> Any:
    """A webhook setting of the running app (defaults and ``TILBOLIG_<KEY>`` in ``engine.config``)."""
    return current_app.config[key]


# --------------------------------------------------------------------------------------------
# writing (inside the caller's transaction)
# --------------------------------------------------------------------------------------------

def enqueue(case: int | Case, changes: Iterable[Any]) -> int:
    """Add outbox rows for ``changes`` (objects with ``type``, ``element_id``, ``task_id``, ``data``).

    Does not commit: the caller's commit makes the rows and the change visible together.  Only
    active subscriptions that asked for the event type get a row.  Returns the number of rows.
    """
    mapped = [(outbound.EVENT_TYPES[c.type], c) for c in changes if c.type in outbound.EVENT_TYPES]
    if not mapped:
        return 0
    subs = db.session.execute(sa.select(WebhookSubscription.id, WebhookSubscription.event_types)
                              .where(WebhookSubscription.active.is_(True))).all()
    wanted = [(event_type, change, sub_id) for event_type, change in mapped
              for sub_id, types in subs if event_type in (types or [])]
    if not wanted:
        return 0
    case_id = case if isinstance(case, int) else case.id
    process_key = db.session.scalar(sa.select(ProcessVersion.process_key)
                                    .join(Case, Case.process_version_id == ProcessVersion.id)
                                    .where(Case.id == case_id))
    now = clock.now()
    for event_type, change, sub_id in wanted:
        msg_id = "msg_" + uuid.uuid4().hex
        outcome = {"case.completed": "completed", "case.terminated": "terminated"}.get(change.type)
        payload = outbound.event_payload(event_type, msg_id, now, case_id, process_key=process_key,
                                         element_id=change.element_id, task_id=change.task_id,
                                         data=change.data, outcome=outcome)
        db.session.add(OutboxEvent(subscription_id=sub_id, case_id=case_id, event_type=event_type, msg_id=msg_id,
                                   body=outbound.encode(payload), state=PENDING, attempts=0,
                                   next_attempt_at=now, created_at=now))
    return len(wanted)


# --------------------------------------------------------------------------------------------
# delivering (the worker)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Claimed:
    id: int
    url: str
    secret: str
    msg_id: str
    body: str
    attempts: int


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.dead


def _claim(limit: int) -> list[_Claimed]:
    """Lease up to ``limit`` due rows, the head of each (subscription, case) queue only; commit."""
    now = clock.now()
    earlier = aliased(OutboxEvent)
    blocked = (sa.select(earlier.id).where(earlier.subscription_id == OutboxEvent.subscription_id,
                                           earlier.case_id == OutboxEvent.case_id, earlier.state == PENDING,
                                           earlier.id < OutboxEvent.id).exists())
    query = (sa.select(OutboxEvent.id, WebhookSubscription.url, WebhookSubscription.secret, OutboxEvent.msg_id,
                       OutboxEvent.body, OutboxEvent.attempts)
             .join(WebhookSubscription, WebhookSubscription.id == OutboxEvent.subscription_id)
             .where(OutboxEvent.state == PENDING, OutboxEvent.next_attempt_at <= now,
                    sa.or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until <= now),
                    WebhookSubscription.active.is_(True), ~blocked)
             .order_by(OutboxEvent.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxEvent)
    lease = now + timedelta(seconds=float(setting("WEBHOOK_LEASE_SECONDS")))
    try:
        rows = [_Claimed(*r) for r in db.session.execute(query)]
        if rows:
            # Conditional, with RETURNING: on SQLite (no row locks) two workers may read the same
            # rows; only the one whose UPDATE still finds them unleased gets them.
            won = set(db.session.scalars(
                sa.update(OutboxEvent)
                .where(OutboxEvent.id.in_([r.id for r in rows]), OutboxEvent.state == PENDING,
                       sa.or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until <= now))
                .values(locked_until=lease).returning(OutboxEvent.id)))
            rows = [r for r in rows if r.id in won]
        db.session.commit()
    except OperationalError:      # SQLite: another worker wrote since our snapshot; try next tick
        db.session.rollback()
        return []
    return rows


def _deliver_one(client: httpx.Client, row: _Claimed, report: DeliveryReport) -> None:
    try:
        target = check_url(row.url, bool(setting("WEBHOOK_ALLOW_LOOPBACK")))
    except UnresolvableHost as exc:
        attempt = outbound.Attempt(outbound.RETRY, None, str(exc))
    except UnsafeTarget as exc:
        attempt = outbound.Attempt(outbound.DEAD, None, f"adressen er ikke tillatt: {exc}")
    else:
        attempt = outbound.send(client, target, row.secret, row.msg_id, clock.now(), row.body)
    now = clock.now()
    attempts = row.attempts + 1
    values: dict[str, Any] = dict(attempts=attempts, last_status=attempt.status, last_error=attempt.error,
                                  locked_until=None)
    if attempt.outcome == outbound.DELIVERED:
        values.update(state=DELIVERED, delivered_at=now, last_error=None)
        report.delivered += 1
    elif attempt.outcome == outbound.DEAD or attempts >= int(setting("WEBHOOK_MAX_ATTEMPTS")):
        values.update(state=DEAD, dead_at=now)
        report.dead += 1
    else:
        wait = outbound.backoff(attempts, float(setting("WEBHOOK_BACKOFF_BASE")), float(setting("WEBHOOK_BACKOFF_CAP")))
        values.update(next_attempt_at=now + wait)
        report.retried += 1
    db.session.execute(sa.update(OutboxEvent).where(OutboxEvent.id == row.id).values(**values))
    db.session.commit()


def deliver_due(limit: int = 200, client: httpx.Client | None = None, batch: int = 50) -> DeliveryReport:
    """Deliver due outbox rows (at most ``limit`` attempts); one short transaction per row.

    Loops because delivering the head of a case's queue makes its next event due.
    """
    report = DeliveryReport()
    own = client is None
    client = client or outbound.new_client()
    try:
        while report.attempted < limit:
            rows = _claim(min(batch, limit - report.attempted))
            if not rows:
                break
            for row in rows:
                try:
                    _deliver_one(client, row, report)
                except Exception as exc:  # noqa: BLE001 — one bad row must not stop the others
                    db.session.rollback()
                    log.exception("webhook delivery of outbox row %s failed", row.id)
                    report.errors.append(f"{row.id}: {type(exc).__name__}")
    finally:
        if own:
            client.close()
    return report


# --------------------------------------------------------------------------------------------
# administration: dead letters and redelivery
# --------------------------------------------------------------------------------------------

def list_events(state: str | None = DEAD, subscription_id: int | None = None, case_id: int | None = None,
                limit: int = 100) -> list[OutboxEvent]:
    query = sa.select(OutboxEvent)
    if state:
        query = query.where(OutboxEvent.state == state)
    if subscription_id:
        query = query.where(OutboxEvent.subscription_id == subscription_id)
    if case_id:
        query = query.where(OutboxEvent.case_id == case_id)
    return list(db.session.scalars(query.order_by(OutboxEvent.id.desc()).limit(limit)))


def page(state: str | None = None, before_id: int | None = None, limit: int = 50) -> tuple[list[OutboxEvent], bool]:
    """One page of deliveries, newest first, for the console: keyset on the id (``before_id``), so
    page 1,000 costs what page 1 does.  ``retrying`` is a pending row that has failed at least once.
    Returns the rows and whether there are older ones."""
    query = sa.select(OutboxEvent)
    if state == "retrying":
        query = query.where(OutboxEvent.state == PENDING, OutboxEvent.attempts > 0)
    elif state:
        query = query.where(OutboxEvent.state == state)
    if before_id:
        query = query.where(OutboxEvent.id < before_id)
    rows = list(db.session.scalars(query.order_by(OutboxEvent.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def counts() -> dict[str, int]:
    """How many deliveries wait or were given up (``retrying`` counted apart from ``pending``).

    Delivered rows are not counted: they grow without end, and counting them made the console's
    page O(rows) (70 ms at 100,000 on PostgreSQL); the other states are few and read from the index.
    """
    out = dict(db.session.execute(sa.select(OutboxEvent.state, sa.func.count())
                                  .where(OutboxEvent.state.in_((PENDING, DEAD))).group_by(OutboxEvent.state)).all())
    out["retrying"] = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent).where(
        OutboxEvent.state == PENDING, OutboxEvent.attempts > 0)) or 0
    return out


def redeliver(event_id: int, actor_id: int | None = None) -> OutboxEvent:
    """Put a dead (or delivered) event back in the queue with a fresh attempt budget; same webhook-id.

    Audited (``webhook.redelivered``, who and which delivery) in the same commit: sending a case's
    event to another system again is a disclosure someone must answer for.
    """
    row = db.session.get(OutboxEvent, event_id)
    if row is None:
        raise NotFound("Fant ikke hendelsen.")
    if row.state == PENDING:
        raise Conflict("Hendelsen venter allerede på levering.")
    previous = row.state
    row.state, row.attempts, row.next_attempt_at = PENDING, 0, clock.now()
    row.locked_until = row.dead_at = row.delivered_at = None
    db.session.add(AuditEvent(case_id=None, type="webhook.redelivered", actor_id=actor_id,
                              data={"outbox_event_id": row.id, "case_id": row.case_id, "event_type": row.event_type,
                                    "subscription_id": row.subscription_id, "previous_state": previous}))
    db.session.commit()
    return row


def event_json(row: OutboxEvent) -> dict[str, Any]:
    iso = lambda v: clock.as_utc(v).isoformat() if v else None  # noqa: E731
    return {"id": row.id, "subscription_id": row.subscription_id, "case_id": row.case_id,
            "type": row.event_type, "webhook_id": row.msg_id, "state": row.state, "attempts": row.attempts,
            "next_attempt_at": iso(row.next_attempt_at) if row.state == PENDING else None,
            "last_status": row.last_status, "last_error": row.last_error, "created_at": iso(row.created_at),
            "delivered_at": iso(row.delivered_at), "dead_at": iso(row.dead_at)}
