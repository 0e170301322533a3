"""Two workers ticking on the same 1 January start each bydel's survey once (PostgreSQL: the bydel's row lock)."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from engine import survey
from engine.extensions import db
from engine.store.models import Case, Organisation
from tests.process.examples import henvisning


def test_two_workers_starting_the_same_year_make_one_instance_per_bydel(app, routine, clock):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TILBOLIG_TEST_DATABASE_URL): row locks between connections")
    from engine import cases
    from engine.access import users as lookup
    from engine.access.rules import actor_for
    kari = actor_for(lookup.by_username("kari.gamleoslo"))
    cases.open_case(kari, "institusjon_til_bolig", "gamle-oslo", "bygdoy", {"name": "Ola"}, henvisning("2026-11-10"))
    clock.at("2027-01-01", 0, 1)
    barrier, results, errors = threading.Barrier(2), [], []

    def start() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(survey.start_year(2027))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    bydeler = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(Organisation.kind == "bydel"))
    refs = db.session.scalars(sa.select(Case.external_ref).where(Case.external_ref.like("livskvalitet:2027:%"))).all()
    assert len(refs) == len(set(refs)) == bydeler
    assert sum(len(r.started) for r in results) == bydeler and sum(len(r.existing) for r in results) == bydeler
