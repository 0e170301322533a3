"""A generated history of cases with known facts: the same rows the projection writes, drawn at random.

Used by the report tests (a few hundred cases, exact figures) and by ``bench/report.py`` (100,000
cases bulk-loaded with COPY).  Every resident has one to three stays; a stay that ended in a
dwelling may be followed by another stay of the same resident (a readmission) after a drawn gap.
The truth — what each deadline's state is, how many days late — is in the rows themselves, so a
test computes the expected figures with plain Python and compares them with the report's SQL.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
#: deadline key → (step, days after T0) — a simplification of the routine's calendar for the history
OFFSETS = {"innflytting": ("innflytting_registrert", 0), "samtykke": ("samtykke", 7),
           "bydelskontakter": ("bydelskontakter", 7), "plan_for_oppholdet": ("plan_for_oppholdet", 14),
           "kartlegging": ("kartlegging", 28), "forste_samarbeidsmote": ("forste_samarbeidsmote", 28),
           "statusrapport": ("statusrapport", 120), "boligmote": ("boligmote", 150), "soknader": ("soknader", 181)}
AFTER_T1 = {"sluttrapport": ("sluttrapport", 21), "oppfolgingsmote": ("oppfolgingsmote", 28)}
ENDINGS = ("bolig", "bolig", "bolig", "avbrutt", "tsb", "annen_institusjon", "utskrevet_uten_bolig", "dod")
MEETINGS = ("forste_samarbeidsmote", "samarbeidsmote", "boligmote", "utflyttingsmote", "oppfolgingsmote")


def due_instant(day: date) -> datetime:
    """The midnight after an Oslo day, in UTC (a deadline's instant)."""
    return datetime.combine(day + timedelta(days=1), time(0), OSLO).astimezone(UTC)


@dataclass
class History:
    cases: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    meetings: list[dict[str, Any]] = field(default_factory=list)


def generate(n_residents: int, bydeler: list[int], institutions: list[int], pv_id: int, now: datetime, *,
             seed: int = 16, start: date = date(2023, 1, 1), first_case_id: int = 1) -> History:
    """Draw the history; cases start between ``start`` and ``now`` (no T0 after now)."""
    rnd = random.Random(seed)
    h = History()
    today = now.astimezone(OSLO).date()
    span = (today - start).days - 30
    case_id = first_case_id - 1
    for resident in range(n_residents):
        link = f"{rnd.getrandbits(256):064x}"
        bydel, inst = rnd.choice(bydeler), rnd.choice(institutions)
        t0 = start + timedelta(days=rnd.randrange(span))
        for _stay in range(rnd.choice((1, 1, 2, 3))):
            if t0 >= today:
                break
            case_id += 1
            stay = rnd.randrange(20, 400)
            t1: date | None = t0 + timedelta(days=stay)
            ending: str | None = rnd.choice(ENDINGS)
            if t1 >= today:
                t1, ending = None, None
            h.cases.append(dict(id=case_id, process_version_id=pv_id, status="completed" if t1 else "running",
                                bydel_id=bydel, institution_id=inst, resident_name=f"Beboer {resident}",
                                anchors={}, state="{}", version=1, created_at=now, updated_at=now,
                                last_activity_at=now))
            offer = (t1 - timedelta(days=rnd.randrange(5, 60))) if t1 and ending == "bolig" and rnd.random() < .9 else None
            ended = (t1 + timedelta(days=28)) if t1 and ending == "bolig" and t1 + timedelta(days=28) < today else None
            follow = (t1 + timedelta(days=rnd.randrange(-20, 60))) if t1 and ending == "bolig" and rnd.random() < .8 else None
            h.facts.append(dict(case_id=case_id, bydel_id=bydel, institution_id=inst, resident_link=link, t0=t0,
                                offer_on=offer, t1=t1, t1_month=t1.strftime("%Y-%m") if t1 else None, ending=ending,
                                institution_part_ended_on=ended, followup_on=follow,
                                stay_days=stay if t1 else None,
                                offer_days=(t1 - offer).days if t1 and offer else None,
                                transition_days=(ended - t1).days if t1 and ended else None,
                                followup_days=(follow - t1).days if t1 and follow else None, readmit_within=None))
            steps = [(k, s, t0 + timedelta(days=d)) for k, (s, d) in OFFSETS.items()]
            if t1 and ending == "bolig":
                steps += [(k, s, t1 + timedelta(days=d)) for k, (s, d) in AFTER_T1.items()]
            for key, step, due in steps:
                h.deadlines.append(_deadline(rnd, case_id, bydel, inst, key, step, due, t1, now))
            for meeting in MEETINGS:
                if rnd.random() < .6:
                    held = t0 + timedelta(days=rnd.randrange(0, max(1, stay)))
                    if held <= today:
                        h.meetings.append(dict(case_id=case_id, bydel_id=bydel, institution_id=inst, meeting=meeting,
                                               held_on=held, bydel_attended=rnd.choice((True, True, False, None)),
                                               institution_attended=rnd.choice((True, True, True, False)),
                                               resident_attended=rnd.choice((True, False))))
            if not t1:
                break
            t0 = t1 + timedelta(days=rnd.randrange(30, 2400))
    return h


def _deadline(rnd: random.Random, case_id: int, bydel: int, inst: int, key: str, step: str, due: date,
              t1: date | None, now: datetime) -> dict[str, Any]:
    instant = due_instant(due)
    row = dict(case_id=case_id, bydel_id=bydel, institution_id=inst, deadline_key=key, seq=1, step=step,
               due_at=instant, due_date=due, due_month=due.strftime("%Y-%m"), kept_at=None, days_late=None,
               state="open")
    if t1 is not None and due > t1 and key not in AFTER_T1:
        row["state"] = "void"                     # the stay ended before the step was due
        return row
    roll = rnd.random()
    if roll < .55:
        kept = instant - timedelta(days=rnd.randrange(1, 10), hours=3)
        if kept <= now:
            row.update(kept_at=kept, state="on_time")
    elif roll < .85:
        late = rnd.randrange(1, 60)
        kept = instant + timedelta(days=late - 1, hours=10)      # on Oslo day due + late
        if kept <= now:
            row.update(kept_at=kept, state="late", days_late=late)
    if row["state"] == "open" and instant <= now:
        row["state"] = "missed"
    return row


def load(n_residents: int, now: datetime, *, seed: int = 16, start: date = date(2020, 1, 1),
         bydeler: tuple[str, ...] = ("gamle-oslo", "grunerlokka", "frogner"),
         institutions: tuple[str, ...] = ("bygdoy", "ila")) -> History:
    """Generate and insert a history among the demo organisations (needs a deployed process); commits."""
    import sqlalchemy as sa

    from engine.extensions import db
    from engine.reports import facts, readmission
    from engine.store.models import Case, Organisation, ProcessVersion
    from engine.store.report_facts import CaseFact, DeadlineRecord, MeetingRecord

    orgs = {o.slug: o.id for o in db.session.scalars(sa.select(Organisation))}
    pv = db.session.scalar(sa.select(ProcessVersion.id))
    h = generate(n_residents, [orgs[s] for s in bydeler], [orgs[s] for s in institutions], pv, now, seed=seed,
                 start=start)
    conn = db.session.connection()
    conn.execute(sa.insert(Case), h.cases)
    conn.execute(sa.insert(CaseFact), h.facts)
    conn.execute(sa.insert(DeadlineRecord), h.deadlines)
    conn.execute(sa.insert(MeetingRecord), h.meetings)
    facts.rebuild_rollup()
    readmission.recompute_all()
    db.session.commit()
    h.orgs = orgs  # type: ignore[attr-defined]
    return h
