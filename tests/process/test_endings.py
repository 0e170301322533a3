"""Non-dwelling endings (issues 4, 12): the message opphold_avsluttet (avbrutt, TSB, annen institusjon,
død, utskrevet uten bolig, midlertidig botilbud) or «botid nådd» ends the stay from any point and the
case closes through a sluttrapport (institusjon, due T1 + 3 weeks)."""
from __future__ import annotations

import pytest
import time_machine

from tests.process import case as walk
from tests.process.case import Case, oslo, utc

# (reason, stage reached before the message, date the stay ended, due of the sluttrapport)
ENDINGS = [
    ("avbrutt", None, "2026-01-20", "2026-02-10T23:00:00+00:00"),
    ("tsb", walk.statusrapport, "2026-05-01", "2026-05-22T22:00:00+00:00"),
    ("annen_institusjon", walk.soknader, "2026-05-26", "2026-06-16T22:00:00+00:00"),
    ("dod", walk.utflyttingsmote, "2026-06-02", "2026-06-23T22:00:00+00:00"),
    ("utskrevet_uten_bolig", walk.evaluering_april, "2026-04-10", "2026-05-01T22:00:00+00:00"),
    ("midlertidig_botilbud", walk.boligmote, "2026-05-22", "2026-06-12T22:00:00+00:00"),
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


def test_botid_reached_lets_the_institution_extend_the_stay_or_discharge():
    with time_machine.travel(oslo("2026-01-05"), tick=False) as tm:
        c = Case(tm)
        walk.oppstart(c)
        # given T0 + 12 months has passed and the resident is still at the institution
        c.goto("2027-01-06", 0, 1)
        task = c.task("avklar_botid")
        assert task.lane == "institusjon" and task.form == "botid.schema.json"
        # when the stay is extended, the question comes back at the agreed date
        c.complete("avklar_botid", botid_beslutning="forlenget", botid_forlenget_til="2027-02-01")
        assert "avklar_botid" not in c.open()
        c.goto("2027-02-02", 0, 1)
        assert "avklar_botid" in c.open()
        # when the resident is discharged, the stay ends without a dwelling, with a sluttrapport
        c.complete("avklar_botid", botid_beslutning="utskrives", utskrives_dato="2027-02-05",
                   utskrives_til="midlertidig_botilbud")
        assert c.open() == {"sluttrapport_uten_bolig": "institusjon"}
        data = c.eng.task_data(c.wf, c.task("sluttrapport_uten_bolig").id)
        assert (data["avslutningsarsak"], data["utflytting"]) == ("botid_nadd", "2027-02-05")
        assert c.deadlines() == {"sluttrapport_uten_bolig": utc("2027-02-26T23:00:00+00:00")}
        c.complete("sluttrapport_uten_bolig", avslutningstype="botid_nadd")
        assert c.done()
