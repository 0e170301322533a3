"""Non-dwelling endings (issue 4): the message opphold_avsluttet ends the stay from any point after
innflytting and the case closes through a sluttrapport (institusjon, due T1 + 3 weeks)."""
from __future__ import annotations

import pytest

from tests.process import case as walk
from tests.process.case import utc

# (reason, stage reached before the message, date the stay ended, due of the sluttrapport)
ENDINGS = [
    ("avbrutt", None, "2026-01-20", "2026-02-10T23:00:00+00:00"),
    ("tsb", walk.statusrapport, "2026-05-01", "2026-05-22T22:00:00+00:00"),
    ("annen_institusjon", walk.soknader, "2026-05-26", "2026-06-16T22:00:00+00:00"),
    ("dod", walk.utflyttingsmote, "2026-06-02", "2026-06-23T22:00:00+00:00"),
]


@pytest.mark.parametrize("arsak,stage,dato,due", ENDINGS, ids=[e[0] for e in ENDINGS])
def test_stay_ends_without_a_dwelling(case, arsak, stage, dato, due):
    c = case
    if stage is not None:
        walk.run_until(c, stage)
    assert c.open() or "bolig_tilbudt" in c.eng.waiting_messages(c.wf), "the stay is running"
    c.goto(dato)
    assert c.deliver("opphold_avsluttet", {"arsak": arsak, "dato": dato})

    # everything of the stay is cancelled: open tasks, deadlines, the recurring meetings, bolig_tilbudt
    assert c.open() == {"sluttrapport_uten_bolig": "institusjon"}
    assert c.deadlines() == {"sluttrapport_uten_bolig": utc(due)}
    assert list(c.timers()) == ["frist_sluttrapport_uten_bolig"]
    assert c.eng.waiting_messages(c.wf) == []
    task = c.task("sluttrapport_uten_bolig")
    assert task.form == "sluttrapport.schema.json" and task.role is None
    assert c.eng.task_data(c.wf, task.id)["avslutningsarsak"] == arsak

    c.complete("sluttrapport_uten_bolig", avslutningstype=arsak)
    assert c.done()
    assert c.open() == {}


def test_late_sluttrapport_after_an_ending_escalates_to_the_institution(case):
    c = case
    walk.oppstart(c)
    c.goto("2026-03-01")
    assert c.deliver("opphold_avsluttet", {"arsak": "avbrutt", "dato": "2026-03-01"})
    c.goto("2026-03-23", 0, 1)                   # 1 March + 3 weeks = 22 March, overdue from midnight
    leader = c.task("leder_sluttrapport_uten_bolig")
    assert (leader.lane, leader.role) == ("institusjon", "leder")
    assert "sluttrapport_uten_bolig" in c.open()


def test_opphold_avsluttet_cannot_end_the_case_after_utflytting(case):
    """After T1 the stay is over: the message is not waited for (the service keeps or refuses it)."""
    c = case
    walk.run_until(c, walk.utflytting)
    assert not c.deliver("opphold_avsluttet", {"arsak": "dod", "dato": "2026-06-20"})
    assert c.open() == {"sluttrapport": "institusjon", "oppfolgingsmote": "bydel"}


def test_bolig_tilbudt_is_only_waited_for_after_the_soknader(case):
    c = case
    walk.run_until(c, walk.boligmote)
    assert not c.deliver("bolig_tilbudt", {"dato": "2026-05-21"})
    assert c.open() == {"soknader": "bydel"}
