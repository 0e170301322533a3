"""The inbox: inbound events verified, checked, stored, correlated to a case and delivered as BPMN messages.

Checked at the door: an event whose payload fails its message's JSON Schema (``engine.cases.messages``,
against the named case's process version) is refused with 422 and nothing is stored; only an event
that passed is held, so a held event is one the case can take when it gets there.

SpiffWorkflow buffers nothing: a message sent before its catch event waits is lost.  So an event
is stored first (``held``) and delivered when the case waits for it — retried after every
successful step of that case (``deliver_held``, an after-commit hook of the case unit of work) and on every worker tick.
Marking the event delivered happens in the same transaction as the case step that consumes it, so
an event is consumed at most once.  An event naming no known case is ``unmatched`` and listed for
administrators.  Service glue: parsing and signatures live in ``webhooks/``.
"""
from __future__ import annotations

import contextvars
import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from engine import cases, clock
from engine.cases import messages
from engine.errors import (
    Conflict,
    EngineFailure,
    MessageInvalid,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    Unprocessable,
)
from engine.events.outbox import setting
from engine.extensions import db
from engine.store.models import AuditEvent, Case
from engine.store.webhooks import DELIVERED, FAILED, HELD, UNMATCHED, InboundEvent, InboundSource
from webhooks import inbound, signing

log = logging.getLogger(__name__)

#: Cases whose held events are being delivered in this context: the nested step must not recurse.
_delivering: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar("inbox_delivering", default=frozenset())


def receive(source_name: str, headers: dict[str, str], body: bytes) -> tuple[InboundEvent, bool]:
    """Verify, de-duplicate, parse, correlate and store one event; return (event, newly stored).

    Raises 404 for an unknown source, 413 for a large body, 401 for a bad signature or stale
    timestamp, 422 for an event we cannot use (a bad body, a message the case's process does not
    catch, a payload that fails the message's schema) — and stores nothing in those cases.
    """
    source = db.session.scalar(sa.select(InboundSource).where(InboundSource.name == source_name,
                                                              InboundSource.active.is_(True)))
    if source is None:
        raise NotFound("Ukjent kilde.")
    if len(body) > inbound.MAX_BODY_BYTES:
        raise PayloadTooLarge("Hendelsen er for stor (maks 64 KiB).")
    tolerance = timedelta(seconds=float(setting("WEBHOOK_INBOUND_TOLERANCE")))
    try:
        webhook_id = signing.verify(source.secret, headers, body, clock.now(), tolerance)
    except (signing.SignatureError, UnicodeDecodeError) as exc:
        raise Unauthenticated(f"Hendelsen er ikke godkjent: {exc}") from exc
    existing = _by_webhook_id(source.id, webhook_id)
    if existing is not None:
        return existing, False
    try:
        msg = inbound.parse(body, frozenset(source.messages or []))
    except inbound.InvalidEvent as exc:
        raise MessageInvalid(exc.details, exc.message) from exc
    case_id, why = _correlate(msg.case_id, msg.external_ref)
    _check(case_id, msg.name, msg.payload)
    event = InboundEvent(source_id=source.id, webhook_id=webhook_id, message_name=msg.name, case_id=case_id,
                         requested_case_id=msg.case_id, external_ref=msg.external_ref, payload=msg.payload,
                         state=HELD if case_id else UNMATCHED, attempts=0, last_error=why, received_at=clock.now())
    db.session.add(event)
    try:
        db.session.commit()
    except IntegrityError:   # the same webhook-id arrived concurrently: the other request stored it
        db.session.rollback()
        stored = _by_webhook_id(source.id, webhook_id)
        if stored is None:
            raise
        return stored, False
    return event, True


def _check(case_id: int | None, name: str, payload: dict[str, Any]) -> None:
    """The schema check at the door: against the case's version, or every process if no case is known."""
    try:
        if case_id is None:
            messages.check_unaddressed(name, payload)
        else:
            messages.check(db.session.get_one(Case, case_id).process_version_id, name, payload)
    except MessageInvalid:
        db.session.rollback()
        raise


def _by_webhook_id(source_id: int, webhook_id: str) -> InboundEvent | None:
    return db.session.scalar(sa.select(InboundEvent).where(InboundEvent.source_id == source_id,
                                                           InboundEvent.webhook_id == webhook_id))


def _correlate(case_id: int | None, external_ref: str | None) -> tuple[int | None, str | None]:
    """The case an event names (by id, or by the external reference kept on the case), or why not."""
    if case_id is not None:
        case = db.session.get(Case, case_id)
        if case is None:
            return None, "Ingen sak med denne id-en."
        if external_ref is not None and case.external_ref != external_ref:
            return None, "case_id og external_ref peker ikke på samme sak."
        return case.id, None
    ids = list(db.session.scalars(sa.select(Case.id).where(Case.external_ref == external_ref).limit(2)))
    if not ids:
        return None, "Ingen sak med denne eksterne referansen."
    if len(ids) > 1:
        return None, "Flere saker har denne eksterne referansen."
    return ids[0], None


def try_deliver(event_id: int) -> str:
    """Deliver one held event to its case now if the case waits for it; return the event's state."""
    event = db.session.get(InboundEvent, event_id)
    if event is None or event.state != HELD:
        return event.state if event else UNMATCHED
    case_id, name, payload, attempts = event.case_id, event.message_name, dict(event.payload or {}), event.attempts
    # Written now, committed by the case step itself: the event is consumed exactly when the case moves.
    claimed = db.session.connection().execute(
        sa.update(InboundEvent).where(InboundEvent.id == event_id, InboundEvent.state == HELD)
                                 .values(state=DELIVERED, delivered_at=clock.now(), attempts=attempts + 1,
                                         last_error=None))
    if claimed.rowcount != 1 or case_id is None:
        db.session.rollback()
        return list_state(event_id)
    try:
        cases.deliver_message(None, case_id, name, payload, origin={"inbound_event_id": event_id})
    except MessageInvalid as exc:   # stored before the door checked (or checked against another version)
        problems = "; ".join(f"{path}: {' '.join(texts)}" for path, texts in exc.errors.items())
        return _record(event_id, FAILED, attempts + 1, f"{exc.message} {problems}"[:2000])
    except Conflict as exc:
        return _record(event_id, HELD, attempts + 1, exc.message)
    except NotFound as exc:
        return _record(event_id, UNMATCHED, attempts + 1, exc.message)
    except EngineFailure as exc:   # the engine's text (expressions, variable names) to the log, not the API (#13)
        log.warning("inbound event %s failed at element %s: %s", event_id, exc.element_id, exc.detail)
        return _record(event_id, FAILED, attempts + 1, f"{exc.message} ({exc.element_id})"[:2000])
    return DELIVERED


def settle(event_id: int) -> None:
    """A failed event whose message a repair («Prøv igjen») has now delivered: mark it delivered.

    Its own transaction, after the repair's commit: should it fail, the event only stays listed as
    failed while the case has moved on, and the audit trail tells the truth.
    """
    db.session.execute(sa.update(InboundEvent).where(InboundEvent.id == event_id, InboundEvent.state == FAILED)
                       .values(state=DELIVERED, delivered_at=clock.now(), last_error=None))
    db.session.commit()


def _record(event_id: int, state: str, attempts: int, error: str) -> str:
    db.session.rollback()
    db.session.execute(sa.update(InboundEvent).where(InboundEvent.id == event_id)
                       .values(state=state, attempts=attempts, last_error=error))
    db.session.commit()
    return state


def deliver_held(case_id: int) -> int:
    """Deliver every held event of a case that it now waits for; return how many were delivered.

    Called after each successful step of the case.  One delivery can make the case wait for
    another held message, so it loops until a pass delivers nothing; the nested step's own call
    returns at once (``_delivering``), which is what keeps this from recursing.  Never raises:
    the step that called it has already committed.
    """
    if case_id in _delivering.get():
        return 0
    token = _delivering.set(_delivering.get() | {case_id})
    delivered = 0
    try:
        progress = True
        while progress:
            progress = False
            held = db.session.execute(sa.select(InboundEvent.id, InboundEvent.message_name).where(
                InboundEvent.case_id == case_id, InboundEvent.state == HELD).order_by(InboundEvent.id)).all()
            if not held:                       # the common case: one indexed SELECT per step
                break
            waiting = cases.waiting_messages(case_id)
            tried: set[str] = set()
            for event_id, name in held:
                # Only the oldest held event per awaited message: a catch consumes one at a time.
                if name not in waiting or name in tried:
                    continue
                tried.add(name)
                if try_deliver(event_id) == DELIVERED:
                    delivered += 1
                    progress = True
                    break                      # the case moved: ask again what it waits for
            db.session.rollback()              # end the read transaction (SQLite snapshot)
    except Exception:  # noqa: BLE001 — the worker tick will try again
        db.session.rollback()
        log.exception("delivering held events of case %s failed", case_id)
    finally:
        _delivering.reset(token)
    return delivered


def tick(limit: int = 100) -> int:
    """Worker tick: re-correlate unmatched events, give up held events of ended cases, retry the rest."""
    for event in db.session.scalars(sa.select(InboundEvent).where(InboundEvent.state == UNMATCHED)
                                    .order_by(InboundEvent.id).limit(limit)):
        case_id, why = _correlate(event.requested_case_id, event.external_ref) \
            if (event.requested_case_id or event.external_ref) else (None, None)
        if case_id:
            event.case_id, event.state, event.last_error = case_id, HELD, None
    # A case that has ended will never wait again: its held events are given up, visibly.
    ended = sa.select(Case.id).where(Case.status.in_((cases.COMPLETED, cases.TERMINATED)))
    db.session.execute(sa.update(InboundEvent).where(InboundEvent.state == HELD, InboundEvent.case_id.in_(ended))
                       .values(state=FAILED, last_error="Saken er avsluttet før den ventet på hendelsen."))
    db.session.commit()
    case_ids = list(db.session.scalars(
        sa.select(InboundEvent.case_id).join(Case, Case.id == InboundEvent.case_id)
        .where(InboundEvent.state == HELD, Case.status.in_(cases.ACTIVE)).distinct().limit(limit)))
    return sum(deliver_held(case_id) for case_id in case_ids if case_id is not None)


def assign(event_id: int, case_id: Any) -> InboundEvent:
    """An administrator points an unmatched (or failed) event at a case; it is then held and tried."""
    event = db.session.get(InboundEvent, event_id)
    if event is None:
        raise NotFound("Fant ikke hendelsen.")
    if event.state not in (UNMATCHED, FAILED):
        raise Conflict("Bare hendelser uten sak (eller som feilet) kan knyttes til en sak.")
    if isinstance(case_id, bool) or not isinstance(case_id, int) or db.session.get(Case, case_id) is None:
        raise Unprocessable("Ukjent sak.", {"case_id": ["Finnes ikke."]})
    event.case_id, event.state, event.last_error = case_id, HELD, None
    db.session.commit()
    deliver_held(case_id)
    db.session.refresh(event)
    return event


def retry(event_id: int, actor_id: int | None = None) -> InboundEvent:
    """An administrator tries a failed event again: it is held once more and delivered if its case
    waits for it now (through the case's unit of work, like any delivery).  Audited as
    ``inbound.retried``.  An event whose delivery stopped its case is repaired on the case instead
    (the case's «Prøv igjen» carries the corrected payload), and an ended case takes nothing.
    """
    event = db.session.get(InboundEvent, event_id)
    if event is None:
        raise NotFound("Fant ikke hendelsen.")
    if event.state != FAILED:
        raise Conflict("Bare hendelser som har feilet kan prøves igjen.")
    case = db.session.get(Case, event.case_id) if event.case_id is not None else None
    if case is None:
        raise Unprocessable("Hendelsen er ikke knyttet til noen sak.", {"case_id": ["Knytt hendelsen til en sak først."]})
    if case.status in (cases.COMPLETED, cases.TERMINATED):
        raise Conflict("Saken er avsluttet og tar ikke imot flere hendelser.")
    origin = ((case.error_action or {}).get("origin") or {}) if case.status == cases.ERROR else {}
    if origin.get("inbound_event_id") == event.id:
        raise Conflict(f"Hendelsen stoppet sak {case.id}: rett saken under «Fastlåste saker» (Prøv igjen).")
    previous_error = event.last_error
    event.state, event.last_error = HELD, None
    db.session.add(AuditEvent(case_id=None, type="inbound.retried", actor_id=actor_id,
                              data={"inbound_event_id": event.id, "case_id": case.id,
                                    "message": event.message_name, "previous_error": (previous_error or "")[:500]}))
    db.session.commit()
    deliver_held(case.id)
    db.session.refresh(event)
    return event


def page(state: str | None = None, before_id: int | None = None, limit: int = 50) -> tuple[list[InboundEvent], bool]:
    """One page of inbound events, newest first (keyset on the id); and whether there are older ones."""
    query = sa.select(InboundEvent)
    if state:
        query = query.where(InboundEvent.state == state)
    if before_id:
        query = query.where(InboundEvent.id < before_id)
    rows = list(db.session.scalars(query.order_by(InboundEvent.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def counts() -> dict[str, int]:
    """How many inbound events are held, unmatched or failed (delivered ones grow without end: not counted)."""
    return dict(db.session.execute(sa.select(InboundEvent.state, sa.func.count())
                                   .where(InboundEvent.state.in_((HELD, UNMATCHED, FAILED)))
                                   .group_by(InboundEvent.state)).all())


def list_state(event_id: int) -> str:
    """The current state of one event (read fresh, after a delivery attempt)."""
    return db.session.scalar(sa.select(InboundEvent.state).where(InboundEvent.id == event_id)) or UNMATCHED


def list_events(state: str | None = UNMATCHED, limit: int = 100) -> list[InboundEvent]:
    query = sa.select(InboundEvent)
    if state:
        query = query.where(InboundEvent.state == state)
    return list(db.session.scalars(query.order_by(InboundEvent.id.desc()).limit(limit)))


def event_json(event: InboundEvent) -> dict[str, Any]:
    """For administrators: ids and state, not the payload (it may carry personal data)."""
    return {"id": event.id, "source": event.source.name, "webhook_id": event.webhook_id,
            "message": event.message_name, "case_id": event.case_id, "requested_case_id": event.requested_case_id,
            "external_ref": event.external_ref, "state": event.state, "attempts": event.attempts,
            "last_error": event.last_error, "received_at": clock.as_utc(event.received_at).isoformat(),
            "delivered_at": clock.as_utc(event.delivered_at).isoformat() if event.delivered_at else None}
