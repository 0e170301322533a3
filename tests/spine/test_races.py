"""Two people complete the same task at the same moment: exactly one wins (200), the other is told
that someone came first (409) — never «not found» (404), whichever step of the race they lose at.

Measured before (#13): the loser got 404 in 7 of 100 races, when it looked for the open-task row
after the winner had already removed it.  Runs on SQLite and, with TILBOLIG_TEST_DATABASE_URL, on
PostgreSQL.
"""
from __future__ import annotations

import threading
from collections import Counter

import sqlalchemy as sa

from engine.extensions import db
from engine.store.models import AuditEvent

RACES = 100
START = {"process_key": "tre_baner", "bydel": "gamle-oslo", "institution": "bygdoy",
         "resident": {"name": "Tore Testbeboer", "username": "beboer.test"},
         "data": {"innflytting": "2026-03-01", "deler": "4"}}


def _race(ctx, clients, task_id: str) -> list[tuple[int, str]]:
    """Both clients complete ``task_id`` together; returns (status, code) of each answer."""
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def complete(client) -> None:
        with ctx.app_context():
            barrier.wait()
            r = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"kommentar": "samtidig"}})
            answers.append((r.status_code, (r.json or {}).get("code", "")))
            db.session.remove()

    threads = [threading.Thread(target=complete, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_a_hundred_double_completions_give_one_200_and_one_409_each(api, tre_baner, clock_at, ctx):
    clock_at(2026, 3, 1, 9)
    kari, leder = api("kari.gamleoslo"), api("leder.gamleoslo")
    tasks = []
    for _ in range(RACES):
        r = kari.post("/api/v1/cases", json=START)
        assert r.status_code == 201, r.json
        tasks.append(r.json["tasks"][0]["id"])
    db.session.remove()

    outcomes: Counter[tuple[tuple[int, str], ...]] = Counter()
    for task_id in tasks:
        outcomes[tuple(sorted(_race(ctx, [kari, leder], task_id)))] += 1
    assert outcomes == {((200, ""), (409, "conflict")): RACES}, outcomes

    completed = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.type == "task.completed"))
    assert completed == RACES          # and nobody's answer was applied twice
