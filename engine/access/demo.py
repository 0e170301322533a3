"""Reference data and demo users: the real bydeler and institutions, invented people.

Used by ``flask seed`` (``make run``) and by the tests.  Nobody here is a real person.
"""
from __future__ import annotations

import sqlalchemy as sa

from engine.access import passwords
from engine.extensions import db
from engine.store.models import Organisation, User

BYDELER = [
    ("gamle-oslo", "Bydel Gamle Oslo"), ("grunerlokka", "Bydel Grünerløkka"), ("sagene", "Bydel Sagene"),
    ("st-hanshaugen", "Bydel St. Hanshaugen"), ("frogner", "Bydel Frogner"), ("ullern", "Bydel Ullern"),
    ("vestre-aker", "Bydel Vestre Aker"), ("nordre-aker", "Bydel Nordre Aker"), ("bjerke", "Bydel Bjerke"),
    ("grorud", "Bydel Grorud"), ("stovner", "Bydel Stovner"), ("alna", "Bydel Alna"),
    ("ostensjo", "Bydel Østensjø"), ("nordstrand", "Bydel Nordstrand"), ("sondre-nordstrand", "Bydel Søndre Nordstrand"),
]
INSTITUSJONER = [
    ("bygdoy", "Bygdøy mestringsenhet"),
    ("ila", "Ila mestringsenhet"),
    ("sporveisgata", "Sporveisgata mestringsenhet"),
]
#: The city's welfare agency: receives the bydeler's anonymised reports (Oslostandard tiltak 9).
ETATER = [("velferdsetaten", "Velferdsetaten")]

DEMO_PASSWORD = "demo1234"

#: (username, display name, organisation slug, roles)
DEMO_USERS = [
    ("kari.gamleoslo", "Kari Nordmann (ruskonsulent, Gamle Oslo)", "gamle-oslo", "saksbehandler"),
    ("ola.grunerlokka", "Ola Hansen (ruskonsulent, Grünerløkka)", "grunerlokka", "saksbehandler"),
    ("ingrid.bygdoy", "Ingrid Berg (primærkontakt, Bygdøy)", "bygdoy", "saksbehandler"),
    ("leder.gamleoslo", "Per Lie (leder, Gamle Oslo)", "gamle-oslo", "saksbehandler,leder"),
    ("leder.bygdoy", "Siri Dahl (leder, Bygdøy)", "bygdoy", "saksbehandler,leder"),
    # trusted with scripts (#18): the routine has script tasks, and the demo owner deploys it
    ("prosesseier", "Nina Prosess (prosesseier)", None, "prosesseier,skriptbetrodd"),
    ("admin", "Arne Drift (administrator)", None, "administrator"),
    ("beboer.test", "Tore Testbeboer (beboer)", None, "beboer"),
    ("radgiver.vel", "Marte Aas (rådgiver, Velferdsetaten)", "velferdsetaten", "velferdsetaten"),
]


def seed_organisations() -> None:
    existing = set(db.session.scalars(sa.select(Organisation.slug)))
    for slug, name in BYDELER:
        if slug not in existing:
            db.session.add(Organisation(slug=slug, name=name, kind="bydel"))
    for slug, name in INSTITUSJONER:
        if slug not in existing:
            db.session.add(Organisation(slug=slug, name=name, kind="institusjon"))
    for slug, name in ETATER:
        if slug not in existing:
            db.session.add(Organisation(slug=slug, name=name, kind="etat"))
    db.session.commit()


def seed_users(password: str = DEMO_PASSWORD) -> list[User]:
    seed_organisations()
    orgs = {o.slug: o.id for o in db.session.scalars(sa.select(Organisation))}
    pw_hash = passwords.hash_password(password)
    users = []
    for username, name, org, roles in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=name, organisation_id=orgs.get(org) if org else None,
                        roles=roles, password_hash=pw_hash, email=f"{username}@tilbolig.test")
            db.session.add(user)
        else:
            if user.email is None:
                user.email = f"{username}@tilbolig.test"
            if username == "prosesseier" and "skriptbetrodd" not in user.role_set:
                user.roles = f"{user.roles},skriptbetrodd".lstrip(",")      # a database seeded before #18
        users.append(user)
    db.session.commit()
    return users
