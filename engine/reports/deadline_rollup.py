"""The deadline records' rows and the rollup that counts them — written only here.

Split from ``engine.reports.facts`` (which decides *what* changed in a step) because keeping a
record and its rollup bucket in step is its own concern: every update moves one count from the
old bucket to the new one, and a step's moves are applied as one upsert.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.extensions import db
from engine.store.report_facts import DeadlineRecord, DeadlineRollup


def connection() -> Any:
    return db.session.connection()


_BUCKET = (DeadlineRecord.deadline_key, DeadlineRecord.bydel_id, DeadlineRecord.institution_id,
           DeadlineRecord.due_month, DeadlineRecord.state, DeadlineRecord.days_late)
Bucket = tuple[str, int, int, str, str, int]


def _bucket(key: str, bydel: int, inst: int, month: str, state: str, days_late: int | None) -> Bucket:
    return (key, bydel, inst, month, state, days_late or 0)


_UPDATES: dict[frozenset[str], Any] = {}


def update_record(record_id: int, old: Bucket | None = None, deltas: dict[Bucket, int] | None = None,
                  **values: Any) -> None:
    """Change one deadline row and move its count from the old rollup bucket to the new one.

    ``old`` is the row's bucket when the caller read it already; ``deltas`` collects the move
    instead of bumping now (the caller bumps once for all its records).
    """
    if old is None:
        found = connection().execute(sa.select(*_BUCKET).where(DeadlineRecord.id == record_id)).first()
        old = _bucket(*found) if found is not None else None
    stmt = _UPDATES.get(frozenset(values))
    if stmt is None:
        stmt = _UPDATES[frozenset(values)] = sa.update(DeadlineRecord).where(
            DeadlineRecord.id == sa.bindparam("b_id")).values({k: sa.bindparam(k) for k in sorted(values)})
    connection().execute(stmt, {**values, "b_id": record_id})
    if old is None:
        return
    after = _bucket(values.get("deadline_key", old[0]), old[1], old[2], values.get("due_month", old[3]),
                    values.get("state", old[4]), values.get("days_late", old[5]) if "days_late" in values else old[5])
    if old != after:
        moves = {} if deltas is None else deltas
        moves[old] = moves.get(old, 0) - 1
        moves[after] = moves.get(after, 0) + 1
        if deltas is None:
            bump(moves)


_INSERT_RECORDS = sa.insert(DeadlineRecord)


def insert_records(rows: list[dict[str, Any]], deltas: dict[Bucket, int] | None = None) -> None:
    """Insert deadline rows and count them in the rollup (now, or into the caller's ``deltas``)."""
    connection().execute(_INSERT_RECORDS, rows)
    moves: dict[Bucket, int] = {} if deltas is None else deltas
    for r in rows:
        b = _bucket(r["deadline_key"], r["bydel_id"], r["institution_id"], r["due_month"], r["state"], r["days_late"])
        moves[b] = moves.get(b, 0) + 1
    if deltas is None:
        bump(moves)


def bump(deltas: dict[Bucket, int]) -> None:
    """Add to the rollup's counters (an upsert, so two steps counting into one bucket never collide)."""
    rows = [dict(deadline_key=b[0], bydel_id=b[1], institution_id=b[2], due_month=b[3], state=b[4], days_late=b[5], n=d)
            for b, d in deltas.items() if d]
    if not rows:
        return
    conn = connection()
    stmt = _UPSERTS.get(conn.dialect.name)
    if stmt is None:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        ins = upsert(DeadlineRollup)
        stmt = _UPSERTS[conn.dialect.name] = ins.on_conflict_do_update(
            index_elements=list(ROLLUP_KEY), set_={"n": DeadlineRollup.n + ins.excluded.n})
    conn.execute(stmt, rows)


_UPSERTS: dict[str, Any] = {}


ROLLUP_KEY = ("deadline_key", "bydel_id", "institution_id", "due_month", "state", "days_late")


def rebuild_rollup() -> None:
    """Count the rollup afresh from ``deadline_records`` (after a bulk load or a backfill)."""
    d = DeadlineRecord
    conn = connection()
    late = sa.func.coalesce(d.days_late, sa.literal_column("0"))   # one expression: PostgreSQL compares the text
    conn.execute(sa.delete(DeadlineRollup))
    conn.execute(sa.insert(DeadlineRollup).from_select(
        list(ROLLUP_KEY) + ["n"],
        sa.select(d.deadline_key, d.bydel_id, d.institution_id, d.due_month, d.state, late, sa.func.count())
        .group_by(d.deadline_key, d.bydel_id, d.institution_id, d.due_month, d.state, late)))
