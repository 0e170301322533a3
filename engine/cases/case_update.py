"""The case row's version-checked ``UPDATE … RETURNING`` that every step ends with, built once per
set of columns, the probes it answers in its ``RETURNING``, and the values a commit leaves on the
case object.  Split from ``engine.cases.unit_of_work``, which decides *what* a step writes; this
module owns *how* the case row is written cheaply.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from engine.cases import projections
from engine.store.models import Case

COLUMNS = frozenset(c.key for c in sa.inspect(Case).column_attrs)
_PROBES: dict[tuple[Any, ...], list[Any]] = {}
_UPDATES: dict[tuple[frozenset[str], int], Any] = {}


def update_statement(columns: frozenset[str], returning: list[Any]) -> Any:
    """The version-checked UPDATE … RETURNING of the case for this set of columns, built once per set.

    Why: building ``update().values(**row).returning(…)`` anew on every step coerced every value
    into a new bound parameter and made SQLAlchemy compute the statement's cache key again (it
    walks the probes' subqueries) — together more than running the statement.  Built once with
    named bind parameters, the statement keeps its memoized cache key and its compiled form.
    """
    key = (columns, id(returning))
    stmt = _UPDATES.get(key)
    if stmt is None:
        stmt = _UPDATES[key] = sa.update(Case).where(
            Case.id == sa.bindparam("b_case_id"), Case.version == sa.bindparam("b_seen_version")
        ).values({c: sa.bindparam(c, type_=Case.__table__.c[c].type) for c in sorted(columns)}).returning(*returning)
    return stmt


def probes(registry: Any) -> tuple[list[Any], list[str], list[Any]]:
    """The guarded hooks, the probe names and the ``RETURNING`` columns of the case UPDATE (built once);
    ``registry`` is the unit of work's ``Hooks`` (not imported: it imports this module).

    The first three columns are the projections' own probes (a deadline watch that fired before
    its step opened; any timer row; the ids of the case's task rows), then one per guarded hook,
    then one per registered probe.
    """
    guarded = [h for h in [*registry.on_changes, *registry.after_commit] if h in registry.guards]
    names = sorted(registry.probes)
    key = (*guarded, *names)
    if key not in _PROBES:
        _PROBES[key] = [projections.missed_watch_probe().label("missed"), projections.timers_probe().label("timers"),
                        projections.open_tasks_probe().label("open_ids"),
                        *(registry.guards[h]().label(f"g{i}") for i, h in enumerate(guarded)),
                        *(registry.probes[n]().label(f"p{i}") for i, n in enumerate(names))]
    return guarded, names, _PROBES[key]


def set_committed(case: Case, values: dict[str, Any]) -> None:
    """Give the (commit-expired) case object the values we know it now has, as if loaded.

    Every column we wrote or had loaded is set, so reading the case after a step costs no
    SELECT of its row (which carries the whole workflow state); a column not known stays
    expired and loads on first use as before.
    """
    for key, value in values.items():
        if key in COLUMNS:
            set_committed_value(case, key, value)
