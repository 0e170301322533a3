"""Which database errors mean "someone else wrote first" (a 409), decided by error code, not text.

PostgreSQL reports serialization failures, deadlocks and lock timeouts with an SQLSTATE; SQLite
reports a busy or locked database with a result code (``sqlite_errorcode``, Python ≥ 3.11).  A
unique-key violation is always a lost race here: two writers projected the same row.
"""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

#: serialization_failure, deadlock_detected, lock_not_available, unique_violation
_PG_CONFLICT_STATES = frozenset({"40001", "40P01", "55P03", "23505"})
#: SQLITE_BUSY, SQLITE_LOCKED (primary codes; extended codes carry them in the low byte)
_SQLITE_CONFLICT_CODES = frozenset({5, 6})


def is_conflict(exc: BaseException) -> bool:
    """True when ``exc`` is a concurrent-write failure that a retry with fresh data could avoid."""
    if isinstance(exc, IntegrityError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate is not None:
        return sqlstate in _PG_CONFLICT_STATES
    code = getattr(orig, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in _SQLITE_CONFLICT_CODES


def is_deadlock(exc: BaseException) -> bool:
    """True when PostgreSQL aborted the transaction to break a deadlock (``40P01``): not a lost race
    on the data, so the same writes can simply be tried again."""
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    return (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) == "40P01"
