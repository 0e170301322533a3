"""The consent rule and its reference data, without a database: ``engine.access.consent`` and ``sharing``."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from engine.access import consent, sharing
from engine.access.consent import Grant, Reader, Source
from engine.bpmn.lanes import Actor, Parties

FORMS = Path(__file__).resolve().parents[2] / "forms"
PARTIES = Parties(bydel_id=1, institution_id=2, resident_user_id=10)
BYDEL = Actor(1, "kari", 1, frozenset({"saksbehandler"}))
INST = Actor(2, "ingrid", 2, frozenset({"saksbehandler"}))
LEDER_INST = Actor(3, "leder", 2, frozenset({"saksbehandler", "leder"}))
BEBOER = Actor(10, "beboer", None, frozenset({"beboer"}))
ADMIN = Actor(20, "admin", None, frozenset({"administrator"}))
TODAY = date(2026, 3, 2)


def grant(categories=("kartlegging_og_helse", "okonomi"), directions=(sharing.TO_BYDEL,), until=date(2026, 6, 30),
          given=True, withdrawn=None) -> Grant:
    return Grant(1, given, frozenset(categories), frozenset(directions), (), TODAY, until,
                 datetime(2026, 3, 2, tzinfo=timezone.utc), False, withdrawn, None, None)


def test_every_form_is_classified_and_its_exceptions_name_real_fields():
    unclassified = []
    for path in sorted(FORMS.glob("*.schema.json")):
        policy = sharing.FORMS.get(path.name)
        if policy is None:
            unclassified.append(path.name)
            continue
        props = set(json.loads(path.read_text())["properties"])
        assert set(policy.fields) <= props, (path.name, set(policy.fields) - props)
        for category in {policy.category, *policy.fields.values()}:
            assert category in sharing.CATEGORIES or category in (sharing.SAKSGANG, sharing.INTERN), category
    assert unclassified == [], "classify these forms in engine/access/sharing.py"


def test_the_samtykke_form_offers_exactly_the_categories_and_directions_the_rule_knows():
    schema = json.loads((FORMS / sharing.CONSENT_FORM).read_text())
    assert schema["properties"]["samtykke_opplysninger"]["items"]["enum"] == list(sharing.CATEGORIES)
    assert schema["properties"]["samtykke_deling"]["items"]["enum"] == list(sharing.DIRECTIONS)


def test_each_side_sees_its_own_and_the_other_only_as_far_as_consent_goes():
    kartlegging = Source.form("institusjon", "kartlegging.schema.json")
    henvisning = Source.form("bydel", "henvisning.schema.json")
    bydel, inst = Reader(BYDEL, PARTIES, grant(), TODAY), Reader(INST, PARTIES, grant(), TODAY)
    assert bydel.decide(kartlegging, "andre_forhold").visible                       # covered, right direction
    assert bydel.decide(kartlegging, "okonomiske_forhold").visible
    assert not inst.decide(henvisning, "bydelens_vurderinger").visible              # wrong direction
    assert inst.decide(henvisning, "innflytting").visible                           # saksgang: always
    assert inst.decide(kartlegging, "andre_forhold").visible                        # own
    held = Reader(BYDEL, PARTIES, grant(categories=("okonomi",)), TODAY).decide(kartlegging, "andre_forhold")
    assert (held.visible, held.why, held.category, held.owner, held.consent_state) == \
        (False, consent.NO_CONSENT, "kartlegging_og_helse", "institusjon", consent.VALID)


@pytest.mark.parametrize("g, state", [
    (None, consent.MISSING), (grant(given=False), consent.REFUSED), (grant(until=date(2026, 3, 1)), consent.EXPIRED),
    (grant(withdrawn=datetime(2026, 3, 2, tzinfo=timezone.utc)), consent.WITHDRAWN)])
def test_no_valid_consent_no_sharing(g, state):
    held = Reader(BYDEL, PARTIES, g, TODAY).decide(Source.form("institusjon", "kartlegging.schema.json"), "andre_forhold")
    assert not held.visible and held.consent_state == state


def test_the_last_day_still_counts():
    r = Reader(BYDEL, PARTIES, grant(until=TODAY), TODAY)
    assert r.decide(Source.form("institusjon", "kartlegging.schema.json"), "andre_forhold").visible


def test_internal_follow_ups_stay_home_whatever_the_consent():
    follow_up = Source.form("institusjon", "oppfolging-frist.schema.json")
    everything = grant(categories=tuple(sharing.CATEGORIES), directions=sharing.DIRECTIONS)
    assert not Reader(BYDEL, PARTIES, everything, TODAY).decide(follow_up, "oppfolging_kommentar").visible
    assert Reader(LEDER_INST, PARTIES, everything, TODAY).decide(follow_up, "oppfolging_kommentar").visible
    assert Reader(BEBOER, PARTIES, everything, TODAY).hides_task("leder", "oppfolging-frist.schema.json")
    assert not Reader(BYDEL, PARTIES, everything, TODAY).hides_task("leder", "oppfolging-frist.schema.json")


def test_the_resident_reads_own_plan_and_meetings_not_assessments():
    r = Reader(BEBOER, PARTIES, None, TODAY)
    assert r.decide(Source.form("institusjon", "plan-for-oppholdet.schema.json"), "sosial_tilhorighet").visible
    assert r.decide(Source.form("bydel", "oppfolgingsmote.schema.json"), "videre_oppfolging").visible
    assert r.decide(Source.form("beboer", "kriseplan.schema.json"), "ved_rusepisode").visible
    held = r.decide(Source.form("bydel", "vurder-statusrapport.schema.json"), "statusrapport_mangler")
    assert not held.visible and held.why == consent.NOT_FOR_RESIDENT
    assert not r.decide(Source.form("institusjon", "statusrapport.schema.json"), "institusjonens_vurdering").visible


def test_an_operator_sees_the_process_not_the_answers():
    r = Reader(ADMIN, PARTIES, grant(), TODAY)
    assert r.decide(consent.PROCESS_STATE, "andel").visible
    assert r.decide(Source.form("bydel", "henvisning.schema.json"), "innflytting").visible
    assert r.decide(Source.form("bydel", "henvisning.schema.json"), "bydelens_vurderinger").why == consent.OPERATOR


def test_an_unclassified_form_is_shared_only_with_consent_and_not_shown_to_the_resident():
    new_form = Source.form("institusjon", "ny-rapport.schema.json")
    assert not Reader(BYDEL, PARTIES, None, TODAY).decide(new_form, "x").visible
    assert not Reader(BEBOER, PARTIES, None, TODAY).decide(new_form, "x").visible


def test_drafts_only_for_whoever_may_complete_the_task():
    assert Reader(BYDEL, PARTIES, None, TODAY).may_see_draft("bydel", None)
    assert not Reader(INST, PARTIES, None, TODAY).may_see_draft("bydel", None)
    assert not Reader(BEBOER, PARTIES, None, TODAY).may_see_draft("bydel", None)
    assert Reader(INST, PARTIES, None, TODAY).may_see_draft("beboer", None)      # on the resident's behalf
    assert not Reader(INST, PARTIES, None, TODAY).may_see_draft("institusjon", "leder")


def test_the_end_date_is_bounded():
    ok = {"samtykke_gitt": True, "samtykke_dato": "2026-03-02", "samtykke_gyldig_til": "2028-03-02"}
    assert consent.check(ok, TODAY) == {}
    assert "samtykke_gyldig_til" in consent.check({**ok, "samtykke_gyldig_til": "2028-03-03"}, TODAY)
    assert "samtykke_gyldig_til" in consent.check({**ok, "samtykke_gyldig_til": "2026-03-01"}, TODAY)
    assert "samtykke_dato" in consent.check({**ok, "samtykke_dato": "2026-03-03"}, TODAY)
    assert consent.check({"samtykke_gitt": False, "samtykke_dato": "2026-03-02"}, TODAY) == {}


def test_renewal_opens_at_oslo_midnight_thirty_days_before_the_last_day_summer_and_winter():
    assert consent.renewal_due(date(2026, 6, 30)).isoformat() == "2026-05-30T22:00:00+00:00"   # CEST
    assert consent.renewal_due(date(2026, 12, 31)).isoformat() == "2026-11-30T23:00:00+00:00"  # CET
    assert consent.lapses_at(date(2026, 6, 30)).isoformat() == "2026-06-30T22:00:00+00:00"
