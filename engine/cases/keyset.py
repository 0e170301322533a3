"""Keyset pagination: a page is «the next 50 rows after this row's sort key», never «skip 5,000 rows».

OFFSET reads and throws away every row before the page, so page 200 of a 10,000-task inbox costs as
much as sorting all of it, and a row inserted meanwhile shifts every later page (a task seen twice or
never).  A keyset page starts *after the last row shown* in the ordering: with an index matching the
ordering it is an index range read, and rows never overlap or skip as long as the ordering ends on a
unique key (every ordering here ends on the row id).

A cursor is the ordering's values of one row, carried in the link as opaque URL-safe base64 JSON;
a cursor that does not decode (edited, from an older ordering) is treated as «first page».
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

FORWARD, BACKWARD = "etter", "foer"


@dataclass(frozen=True)
class Key:
    """One column of an ordering.  ``nullable`` columns sort their NULLs last in both directions
    (written out so SQLite, whose default is NULLs first, orders as PostgreSQL does)."""

    expr: Any
    desc: bool = False
    nullable: bool = False
    is_time: bool = False

    def order_by(self, reverse: bool = False) -> Any:
        desc = self.desc != reverse
        clause = self.expr.desc() if desc else self.expr.asc()
        if self.nullable:
            clause = clause.nulls_first() if reverse else clause.nulls_last()
        return clause


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (``FORWARD``) or before (``BACKWARD``) the row with ``values``."""

    direction: str
    values: tuple[Any, ...]


def order_by(keys: Sequence[Key], reverse: bool = False) -> list[Any]:
    return [k.order_by(reverse) for k in keys]


def _beyond(key: Key, value: Any, reverse: bool) -> Any:
    """Rows strictly after ``value`` in this key's direction (NULLs last; reversed: NULLs first)."""
    ascending = key.desc == reverse
    if value is None:   # NULLs are last: nothing comes after them (reversed: everything non-null does)
        return key.expr.is_not(None) if reverse and key.nullable else sa.false()
    after = key.expr > value if ascending else key.expr < value
    if key.nullable and not reverse:
        return sa.or_(after, key.expr.is_(None))
    return after


def _same(key: Key, value: Any) -> Any:
    return key.expr.is_(None) if value is None else key.expr == value


def after(keys: Sequence[Key], values: Sequence[Any], reverse: bool = False) -> Any:
    """The rows that follow ``values`` in the ordering ``keys`` (``reverse``: that precede them).

    Lexicographic: k1 beyond v1, or k1 = v1 and k2 beyond v2, … .  The first key's bound is also
    stated alone (``k1 >= v1``) where that is a plain range, so an index on k1 can start there.
    """
    clause: Any = None
    for key, value in reversed(list(zip(keys, values, strict=True))):
        beyond = _beyond(key, value, reverse)
        clause = beyond if clause is None else sa.or_(beyond, sa.and_(_same(key, value), clause))
    first, v0 = keys[0], values[0]
    if v0 is not None and not first.nullable:
        ascending = first.desc == reverse
        clause = sa.and_(first.expr >= v0 if ascending else first.expr <= v0, clause)
    return clause


def encode(values: Sequence[Any]) -> str:
    raw = json.dumps([{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values],
                     separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str | None) -> tuple[Any, ...] | None:
    """The values of a cursor, or None if ``token`` is missing or not one of ours."""
    if not token or len(token) > 2000:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or not raw:
            return None
        out: list[Any] = []
        for v in raw:
            if isinstance(v, dict):
                out.append(datetime.fromisoformat(str(v["t"])))
            elif v is None or isinstance(v, (str, int, float, bool)):
                out.append(v)
            else:
                return None
        return tuple(out)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        return None


def cursor(after_token: str | None, before_token: str | None) -> Cursor | None:
    """The cursor of a page link (``?etter=…`` or ``?foer=…``); None for the first page."""
    for direction, token in ((FORWARD, after_token), (BACKWARD, before_token)):
        values = decode(token)
        if values is not None:
            return Cursor(direction, values)
    return None


@dataclass(frozen=True)
class Page:
    """One page of rows, and the cursors of the pages around it (None: no such page)."""

    rows: list[Any]
    next: str | None
    prev: str | None

    @property
    def first(self) -> bool:
        return self.prev is None


def fetch(read, key_of, size: int, cursor: Cursor | None) -> Page:
    """A page through ``read(values, reverse, limit)`` — the caller's query: rows after ``values``
    (None: from the start) in the ordering, or before them in reverse order — and ``key_of(row)``,
    a row's values of the ordering.  One row more than the page tells whether there is more."""
    backward = cursor is not None and cursor.direction == BACKWARD
    rows = list(read(cursor.values if cursor is not None else None, backward, size + 1))
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
        has_prev, has_next = more, True
    else:
        has_prev, has_next = cursor is not None, more
    nxt = encode(key_of(rows[-1])) if rows and has_next else None
    prev = encode(key_of(rows[0])) if rows and has_prev else None
    return Page(rows, nxt, prev)
