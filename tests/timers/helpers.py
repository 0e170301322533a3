"""Shared steps for the timer tests: open a fixture case and bring it to the deadline on «plan»."""
from __future__ import annotations

import re
import uuid

import sqlalchemy as sa

from engine.bpmn import state_codec
from engine.extensions import db
from engine.store.models import AuditEvent, Case, Timer

START = {"process_key": "tre_baner", "bydel": "gamle-oslo", "institution": "bygdoy",
         "resident": {"name": "Tore Testbeboer", "username": "beboer.test"}, "data": {"deler": "4"}}


def case_at_plan(api, innflytting: str = "2026-03-01") -> dict:
    """Open a case and complete the first two tasks; the case then waits on «plan» with its deadline."""
    body = {**START, "data": {**START["data"], "innflytting": innflytting}}
    r = api("kari.gamleoslo").post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.json
    case = r.json
    registrer = next(t for t in case["tasks"] if t["element_id"] == "registrer")
    assert api("kari.gamleoslo").post(f"/api/v1/tasks/{registrer['id']}/complete", json={"data": {}}).status_code == 200
    samtykke = next(t for t in api("beboer.test").get("/api/v1/tasks").json if t["case_id"] == case["id"])
    r = api("beboer.test").post(f"/api/v1/tasks/{samtykke['id']}/complete", json={"data": {}})
    assert r.status_code == 200, r.json
    return r.json


def fired_events(case_id: int | None = None) -> list[AuditEvent]:
    q = sa.select(AuditEvent).where(AuditEvent.type == "timer.fired").order_by(AuditEvent.id)
    if case_id is not None:
        q = q.where(AuditEvent.case_id == case_id)
    return list(db.session.scalars(q))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def fresh_ids(state: str) -> str:
    """The same workflow state with every task id replaced, so copies never share task ids."""
    mapping: dict[str, str] = {}
    return _UUID.sub(lambda m: mapping.setdefault(m.group(0), str(uuid.uuid4())), state)


def clone_cases(template_id: int, n: int) -> list[int]:
    """``n`` copies of a waiting case (state with fresh task ids + its timer rows), inserted in bulk."""
    tpl = db.session.get(Case, template_id)
    timers = list(db.session.scalars(sa.select(Timer).where(Timer.case_id == template_id)))
    cols = {c.name: getattr(tpl, c.name) for c in Case.__table__.columns if c.name != "id"}
    ids = []
    tpl_text = state_codec.decode_text(tpl.state)
    for _ in range(n):
        text = fresh_ids(tpl_text)
        state = state_codec.encode_text(text)
        case_id = db.session.execute(sa.insert(Case).values(**{**cols, "state": state}).returning(Case.id)).scalar_one()
        ids.append(case_id)
        rows = []
        for t in timers:
            new_id = _new_id_for(tpl_text, text, t.task_id)
            rows.append({c.name: getattr(t, c.name) for c in Timer.__table__.columns if c.name != "id"}
                        | {"case_id": case_id, "task_id": new_id, "host_task_id": None})
        db.session.execute(sa.insert(Timer), rows)
    db.session.commit()
    return ids


def _new_id_for(old_state: str, new_state: str, old_id: str) -> str:
    pos = old_state.index(old_id)
    # lengths are equal (uuid → uuid), so the id sits at the same offset in the new text
    return new_state[pos:pos + 36]
