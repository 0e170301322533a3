"""Cases for the consent tests: the «samtykke_matrise» fixture process with the real forms, filled with
unique marker strings («kanarifugler») so a test can tell exactly which answer reached which reader.

Every marker sits in a free-text field of one form, written by one lane; its category is the one
``engine.access.sharing`` gives that field.  Drafts carry markers too.  Nobody here is a real person.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from engine import cases, clock
from engine.access import rules as access
from engine.extensions import db
from engine.store.models import OpenTask, User
from tests.process.examples import example, henvisning

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "samtykke_matrise.bpmn"
PROCESS = "samtykke_matrise"

ALL_CATEGORIES = ["personalia", "kartlegging_og_helse", "rus", "okonomi", "bolig", "plan", "moter_og_rapporter"]
BOTH = ["bydel_til_institusjon", "institusjon_til_bydel"]

#: marker → (lane that writes it, consent category, shown to the resident as part of their plan/meetings)
CANARIES: dict[str, tuple[str, str, bool]] = {
    "BYDEL-VURDERING": ("bydel", "kartlegging_og_helse", False),   # henvisning.bydelens_vurderinger
    "BYDEL-BOLIG": ("bydel", "bolig", False),                      # henvisning.planer_for_bolig
    "BYDEL-STATUS": ("bydel", "kartlegging_og_helse", False),      # vurder-statusrapport.statusrapport_mangler
    "BYDEL-MOTE": ("bydel", "moter_og_rapporter", True),           # oppfolgingsmote.videre_oppfolging
    "INST-KARTLEGGING": ("institusjon", "kartlegging_og_helse", False),   # kartlegging.andre_forhold
    "INST-OKONOMI": ("institusjon", "okonomi", False),             # kartlegging.okonomiske_forhold.gjeld
    "INST-PLAN": ("institusjon", "plan", True),                    # plan-for-oppholdet.sosial_tilhorighet
    "LEDER": ("institusjon", "intern", False),                     # oppfolging-frist.oppfolging_kommentar
    "BEBOER": ("beboer", "plan", True),                            # kriseplan.varselsignaler.slik_jeg_ser_dem
}
#: draft marker → the lane of the open task it is a draft of
DRAFTS = {"UTKAST-BYDEL": "bydel", "UTKAST-INST": "institusjon", "UTKAST-BEBOER": "beboer"}


def marker(tag: str, name: str) -> str:
    return f"KANARI-{tag}-{name}"


def deploy():
    from engine.processes import deployments
    files = {FIXTURE.name: FIXTURE.read_bytes(),
             **{p.name: p.read_bytes() for p in (ROOT / "forms").glob("*.json")}}
    return deployments.deploy(files, None).versions[0]


def actor(username: str):
    return access.actor_for(db.session.scalar(sa.select(User).where(User.username == username)))


def task(case_id: int, element_id: str) -> OpenTask:
    row = db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.element_id == element_id))
    assert row is not None, f"{element_id} is not open in case {case_id}"
    return row


def consent_form(categories=None, directions=None, until: date | None = None, given: bool = True,
                 on: date | None = None) -> dict:
    today = on or clock.today_oslo()
    if not given:
        return {"samtykke_gitt": False, "samtykke_dato": today.isoformat()}
    return {"samtykke_gitt": True, "samtykke_dato": today.isoformat(),
            "samtykke_opplysninger": list(ALL_CATEGORIES if categories is None else categories),
            "samtykke_deling": list(BOTH if directions is None else directions),
            "samtykke_mottakere": [{"instans": "Boligkontoret i bydelen"}],
            "samtykke_gyldig_til": (until or today + timedelta(days=365)).isoformat(),
            "informert_om_tilbaketrekking": True}


def complete(username: str, case_id: int, element_id: str, data: dict):
    return cases.complete_task(actor(username), task(case_id, element_id).id, data)


@dataclass
class Built:
    tag: str
    case_id: int
    open_tasks: list[str] = field(default_factory=list)


def build(tag: str, consent: dict | None, resident: str = "beboer.test") -> Built:
    """One case of the matrix: every form answered with markers, drafts on the open tasks, and the
    consent ``consent`` (None: the resident has not answered the samtykke task)."""
    m = lambda name: marker(tag, name)  # noqa: E731
    start = henvisning(clock.today_oslo().isoformat())
    start.update(bydelens_vurderinger=m("BYDEL-VURDERING"), planer_for_bolig=m("BYDEL-BOLIG"))
    case = cases.open_case(actor("kari.gamleoslo"), PROCESS, "gamle-oslo", "bygdoy",
                           {"name": f"Matrise {tag}", "username": resident}, start)
    cid = case.id
    complete("kari.gamleoslo", cid, "vurdering", {"statusrapport_tilstrekkelig": False,
                                                  "statusrapport_mangler": m("BYDEL-STATUS")})
    complete("kari.gamleoslo", cid, "mote", example("oppfolgingsmote.schema.json", videre_oppfolging=m("BYDEL-MOTE")))
    kart = example("kartlegging.schema.json", andre_forhold=m("INST-KARTLEGGING"))
    kart["okonomiske_forhold"] = {**kart["okonomiske_forhold"], "gjeld": m("INST-OKONOMI")}
    complete("ingrid.bygdoy", cid, "kartlegging", kart)
    complete("ingrid.bygdoy", cid, "plan", example("plan-for-oppholdet.schema.json", sosial_tilhorighet=m("INST-PLAN")))
    complete("leder.bygdoy", cid, "leder", {"oppfolging_tiltak": "Avklart i teamet.", "oppfolging_kommentar": m("LEDER")})
    krise = example("kriseplan.schema.json")
    krise["varselsignaler"] = {**krise["varselsignaler"], "slik_jeg_ser_dem": m("BEBOER")}
    complete(resident, cid, "kriseplan", krise)
    cases.save_draft(actor("kari.gamleoslo"), task(cid, "bydel_apen").id, {"arsaker": m("UTKAST-BYDEL")})
    cases.save_draft(actor("ingrid.bygdoy"), task(cid, "inst_apen").id, {"institusjonens_vurdering": m("UTKAST-INST")})
    cases.save_draft(actor(resident), task(cid, "beboer_apen").id, {"gjennomforing": m("UTKAST-BEBOER")})
    if consent is not None:
        complete(resident, cid, "samtykke", consent)
    return Built(tag, cid, [t.id for t in db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == cid))])


def add_resident(username: str = "beboer.annen") -> User:
    """A second resident account (with no case of its own here)."""
    from engine.access.passwords import hash_password
    user = User(username=username, display_name="Anne Annenbeboer (beboer)", roles="beboer",
                password_hash=hash_password("test-passord"))
    db.session.add(user)
    db.session.commit()
    return user
