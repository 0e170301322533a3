"""The inbox's first-page statement is built once per actor and filter, with the clock bound at
execution (#15): the same cached statement must still move a task into the overdue band once its
due time has passed, and must not show one actor's tasks to another."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from engine.access.rules import actor_for
from engine.cases import worklist
from engine.extensions import db
from engine.store.models import OpenTask, User
from tests.web.conftest import open_case


def _actor(username: str):
    return actor_for(db.session.scalar(sa.select(User).where(User.username == username)))


def _order(actor) -> list[str]:
    return [task.id for task, *_ in worklist.inbox(actor, worklist.InboxFilter()).rows]


def test_the_cached_first_page_follows_the_clock_and_the_actor(tre_baner, clock_at):
    traveller = clock_at(2026, 3, 10, 12)
    first, second = (open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"}) for _ in range(2))
    flagged, plain = (db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == c.id,
                                                                  OpenTask.element_id == "registrer"))
                      for c in (first, second))
    # flagged overdue by its timer though due at 13:30; the other due at 13:00, not flagged
    flagged.due_at, flagged.overdue_at = datetime(2026, 3, 10, 13, 30, tzinfo=UTC), datetime(2026, 3, 10, 11, tzinfo=UTC)
    plain.due_at = datetime(2026, 3, 10, 13, tzinfo=UTC)
    db.session.commit()
    kari = _actor("kari.gamleoslo")
    worklist._cached_band_query.cache_clear()
    # at 12:00 only the flagged one is overdue: it comes first
    assert _order(kari) == [flagged.id, plain.id]
    # at 14:00 both are overdue, ordered by due time — with the statements built at 12:00
    traveller.move_to(datetime(2026, 3, 10, 14, tzinfo=UTC))
    assert _order(kari) == [plain.id, flagged.id]
    assert worklist._cached_band_query.cache_info().hits >= 1
    # another bydel's caseworker, with the cache warm, sees none of them
    assert _order(_actor("ola.grunerlokka")) == []
