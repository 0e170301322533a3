"""Access-log rows ride in the caller's next commit, written with one Core statement.

Why not ``session.add(AccessLog(...))``: every completion logs its access, and flushing one ORM
object through the unit-of-work machinery cost more than the step's own UPDATE.  The rows wait
in the session's ``info`` and are inserted by a ``before_commit`` listener — the same transaction
and the same moment the ORM would have flushed them — so a refused request that rolls back loses
them exactly as before, and :func:`uncommitted` lets a caller write them again on their own
(``engine.cases.commands._log_stands``: a refusal is on the record exactly once).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import clock
from engine.extensions import db
from engine.store.models import AccessLog

_PENDING = "tilbolig.access_log.pending"      # logged, not yet written
_INFLIGHT = "tilbolig.access_log.inflight"    # written in the transaction now committing
_INSERT = sa.insert(AccessLog)


@dataclass
class Entry:
    """One access-log row; ``committed`` turns true when the transaction that wrote it commits."""

    values: dict[str, Any]
    committed: bool = field(default=False)


def add(user_id: int | None, case_id: int | None, action: str, granted: bool = True,
        on_behalf_of_id: int | None = None) -> Entry:
    """Queue a row for the current transaction's commit."""
    entry = Entry(dict(at=clock.now(), user_id=user_id, case_id=case_id, action=action, granted=granted,
                       on_behalf_of_id=on_behalf_of_id))
    db.session.info.setdefault(_PENDING, []).append(entry)
    return entry


def uncommitted() -> list[Entry]:
    """Rows logged in this session and not (yet) committed."""
    info = db.session.info
    return [e for e in [*info.get(_INFLIGHT, []), *info.get(_PENDING, [])] if not e.committed]


def write_again(entries: list[Entry]) -> None:
    """Queue ``entries`` (lost to a rollback) once more; the caller commits."""
    fresh = [Entry(dict(e.values)) for e in entries if not e.committed]
    db.session.info.setdefault(_PENDING, []).extend(fresh)


def _before_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.connection().execute(_INSERT, [e.values for e in pending])
        session.info.setdefault(_INFLIGHT, []).extend(pending)


def _after_commit(session: Session) -> None:
    for e in session.info.pop(_INFLIGHT, []):
        e.committed = True


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:     # the whole transaction: its rows are gone, as ORM rows were
        session.info.pop(_INFLIGHT, None)
        session.info.pop(_PENDING, None)


def install() -> None:
    """Listen on the app's session factory (once per process)."""
    for name, fn in (("before_commit", _before_commit), ("after_commit", _after_commit),
                     ("after_soft_rollback", _after_soft_rollback)):
        if not sa.event.contains(db.session, name, fn):
            sa.event.listen(db.session, name, fn)
