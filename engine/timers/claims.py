"""Claim a batch of due timers in one statement, so a worker fires many cases per claim.

Why a batch: the old claim was one ``SELECT … FOR UPDATE SKIP LOCKED LIMIT 1`` per case, and the row
locks lived in the case's own transaction.  That costs a claim query, two due-timer queries and a
re-read of the case row per fired timer, before the step even starts.  A batch needs a claim that
outlives the first case's commit (each case still commits on its own), which row locks cannot do.

On PostgreSQL the claim is a *session-level advisory lock* per case (``pg_try_advisory_lock``), taken
on a dedicated connection of this worker in the same statement that picks the oldest due timers:

* the statement skips every case whose lock another worker holds (read from ``pg_locks`` once per
  statement), and ``pg_try_advisory_lock`` is the gate: of two workers racing for one case, exactly
  one gets it, so one timer is never handed to two workers;
* the lock survives the commits of the batch's cases and is released when the batch is done
  (:meth:`Claimer.release`), or by PostgreSQL when the worker's connection ends — a worker killed
  with ``kill -9`` drops its claims at once and another worker takes them over, as with row locks;
* a worker that hangs holds at most one batch (``TIMER_CLAIM_BATCH``, default 20 cases).

Exactly once still comes from the case itself (the fired timer is gone from the saved state, and
the save is guarded by the case ``version``); the lock only keeps workers from doing the same work.
Nothing else takes these locks: a web request stepping a claimed case is refused or refuses by the
version check, as before.

On SQLite there is one writer at a time: the claim is a plain select, and a second worker that
picked the same case loses at the version check.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine import clock
from engine.extensions import db
from engine.store import due_timers
from engine.store.models import Case, Timer

#: First key of the two-key advisory lock (``'timr'``); the second key is the case id.
LOCK_CLASS = 0x74696D72

_PG_LOCKS = sa.table("pg_locks", sa.column("locktype"), sa.column("database"), sa.column("classid"),
                     sa.column("objid"), sa.column("objsubid"), sa.column("granted"))
_PG_DATABASE = sa.table("pg_database", sa.column("oid"), sa.column("datname"))


@dataclass(frozen=True)
class Claim:
    """One claimed case: the engine task ids of its timers that were due at claim time."""

    case_id: int
    due: frozenset[str]
    first_due: datetime


def _held_elsewhere() -> Any:
    """Case ids whose claim lock any session of this database holds (one hashed subplan per statement)."""
    this_db = sa.select(_PG_DATABASE.c.oid).where(_PG_DATABASE.c.datname == sa.func.current_database())
    return sa.select(sa.cast(_PG_LOCKS.c.objid, sa.BigInteger)).where(
        _PG_LOCKS.c.locktype == "advisory", _PG_LOCKS.c.classid == sa.cast(LOCK_CLASS, postgresql.OID),
        _PG_LOCKS.c.objsubid == 2, _PG_LOCKS.c.database == this_db.scalar_subquery())


def _due_rows(now: datetime, skip: Iterable[int], batch: int, postgres: bool) -> Any:
    """The oldest claimable timers (at most ``batch`` rows): case id, task id, due time."""
    query = (sa.select(Timer.case_id, Timer.task_id, Timer.due_at).join(Case, Case.id == Timer.case_id)
             .where(due_timers.claimable(now)).order_by(Timer.due_at, Timer.id).limit(batch))
    skip = list(skip)
    if skip:
        query = query.where(Timer.case_id.not_in(skip))
    if postgres:
        query = query.where(Timer.case_id.not_in(_held_elsewhere()))
    return query


def _claim_statement(now: datetime, skip: Iterable[int], batch: int) -> Any:
    """PostgreSQL: pick the oldest due timers, group them by case and try each case's lock once."""
    due = _due_rows(now, skip, batch, postgres=True).subquery("due")
    per_case = (sa.select(due.c.case_id, sa.func.min(due.c.due_at).label("first_due"),
                          sa.func.array_agg(due.c.task_id).label("task_ids"))
                .group_by(due.c.case_id).subquery("per_case"))
    # The lock call sits in the outer SELECT list over the grouped subquery (which PostgreSQL never
    # flattens): it runs exactly once per case, never on rows a LIMIT or filter would drop.
    return sa.select(per_case.c.case_id, per_case.c.first_due, per_case.c.task_ids,
                     sa.func.pg_try_advisory_lock(LOCK_CLASS, per_case.c.case_id).label("got"))


class Claimer:
    """The claims of one drain: :meth:`claim` a batch, fire it, :meth:`release` it; :meth:`close` at the end."""

    def __init__(self, batch: int) -> None:
        self.batch = max(1, batch)
        self.postgres = db.engine.dialect.name == "postgresql"
        self._conn: sa.Connection | None = None

    def _lock_connection(self) -> sa.Connection:
        """A connection of its own, in autocommit: the locks must outlive the cases' commits."""
        if self._conn is None:
            self._conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def claim(self, now: datetime, skip: Iterable[int] = (), at_most: int | None = None) -> list[Claim]:
        """Claim up to ``batch`` (or ``at_most``) cases with the oldest due timers, oldest first; [] when
        none is left.  ``batch`` counts due timers, so a case with several due timers counts more than once."""
        skip = set(skip)
        size = self.batch if at_most is None else max(1, min(self.batch, at_most))
        if not self.postgres:
            rows = db.session.execute(_due_rows(now, skip, size, postgres=False)).all()
            return _group((r.case_id, r.task_id, r.due_at) for r in rows)
        conn = self._lock_connection()
        for _ in range(3):     # a race lost to another worker's claim: its locks are visible next time
            rows = conn.execute(_claim_statement(now, skip, size)).all()
            if not rows:
                return []
            got = [r for r in rows if r.got]
            if got:
                return sorted((Claim(r.case_id, frozenset(r.task_ids), clock.as_utc(r.first_due)) for r in got),
                              key=lambda c: (c.first_due, c.case_id))
            skip |= {r.case_id for r in rows}
        return []

    def release(self) -> None:
        """Give up every claim of this worker (the batch is done, fired or not)."""
        if self._conn is not None:
            try:
                self._conn.execute(sa.select(sa.func.pg_advisory_unlock_all()))
            except Exception:
                self._drop()
                raise

    def close(self) -> None:
        """Release the claims and return the connection (never to the pool with a lock still held)."""
        if self._conn is None:
            return
        try:
            self.release()
        except Exception:  # noqa: BLE001 - the connection is dropped, which releases the locks too
            return
        self._conn.close()
        self._conn = None

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.invalidate()      # closes the DBAPI connection: PostgreSQL releases its locks
            conn.close()


def _group(rows: Iterable[tuple[int, str, datetime]]) -> list[Claim]:
    """SQLite: one claim per case, oldest first (rows come ordered by due time)."""
    by_case: dict[int, tuple[set[str], datetime]] = {}
    for case_id, task_id, due_at in rows:
        by_case.setdefault(case_id, (set(), clock.as_utc(due_at)))[0].add(task_id)
    return [Claim(case_id, frozenset(ids), first) for case_id, (ids, first) in by_case.items()]
