"""Who a verified ID token is in this service (the SQL side of ``engine.web.oidc``).

Staff: the identity provider is the source of truth for organisation and roles, so both are
taken from the configured claims at every sign-in (a person who moves bydel or loses a role
does so here at their next sign-in).  A new person gets an account on first sign-in; an account is
found again by ``(issuer, sub)``, never by a username an identity provider could choose.

Residents: ID-porten's ``pid`` (fødselsnummer / d-nummer) is matched to a resident account that the
bydel has linked to it (``flask users link-pid``); nobody gets an account just by signing in.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.bpmn import lanes
from engine.extensions import db
from engine.store.auth import UserIdentity
from engine.store.models import Organisation, User


# Messages are marked for the web layer's translation (Flask-Babel extracts ``_(…)``); this module
# must not import Flask, so ``_`` only marks them here and the web layer translates on display.
def _(text: str) -> str:
    return text


class SignInRefused(Exception):
    """A sign-in that must not go through: ``reason`` is logged, ``message`` is shown to the person."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message or _("Innloggingen kunne ikke fullføres. Prøv igjen.")


#: Roles an employer's provider may grant; ``beboer`` only ever comes from ID-porten + a link.
STAFF_ROLES = (lanes.SAKSBEHANDLER, lanes.LEDER, lanes.PROSESSEIER, lanes.ADMINISTRATOR)
ROLES_NEEDING_ORGANISATION = {lanes.SAKSBEHANDLER, lanes.LEDER}
PID_PROVIDER = "pid"


def _values(claim: Any) -> list[str]:
    """A claim as a list of strings: Entra sends lists, Keycloak lists or strings, some a spaced string."""
    if claim is None:
        return []
    if isinstance(claim, str):
        return [v for v in re.split(r"[\s,]+", claim) if v]
    if isinstance(claim, (list, tuple)):
        return [str(v) for v in claim if isinstance(v, (str, int))]
    return [str(claim)]


def staff_roles(settings: Mapping[str, Any], claims: dict[str, Any]) -> list[str]:
    mapping = settings["ROLE_MAP"] or {}
    found = []
    for value in _values(claims.get(settings["ROLES_CLAIM"])):
        role = mapping.get(value) if mapping else value
        if role in STAFF_ROLES and role not in found:
            found.append(role)
    return found


def staff_organisation(settings: Mapping[str, Any], claims: dict[str, Any]) -> Organisation | None:
    mapping = settings["ORG_MAP"] or {}
    slugs: set[str] = {str(s) for v in _values(claims.get(settings["ORG_CLAIM"]))
                       if (s := mapping.get(v) if mapping else v)}
    orgs = list(db.session.scalars(sa.select(Organisation).where(Organisation.slug.in_(slugs)))) if slugs else []
    if len(orgs) > 1:
        raise SignInRefused(f"claims name {len(orgs)} organisations {sorted(slugs)}",
                            _("Kontoen din er knyttet til flere enheter. Be lederen din rette det hos "
                            "identitetsleverandøren."))
    return orgs[0] if orgs else None


def staff_user(issuer: str, settings: Mapping[str, Any], claims: dict[str, Any]) -> User:
    """The staff account for these claims, created or brought up to date."""
    sub = str(claims.get("sub") or "")
    roles = staff_roles(settings, claims)
    if not roles:
        raise SignInRefused(f"sub={sub} has no role in claim {settings['ROLES_CLAIM']!r}",
                            _("Du har ingen rolle i tjenesten. Be lederen din om tilgang."))
    org = staff_organisation(settings, claims)
    if org is None and ROLES_NEEDING_ORGANISATION & set(roles):
        raise SignInRefused(f"sub={sub} has no known organisation in claim {settings['ORG_CLAIM']!r}",
                            _("Kontoen din er ikke knyttet til en bydel eller institusjon i tjenesten."))
    identity = db.session.scalar(sa.select(UserIdentity).where(UserIdentity.provider == issuer,
                                                               UserIdentity.subject == sub))
    name = str(claims.get("name") or claims.get(settings["USERNAME_CLAIM"]) or sub)[:200]
    if identity is None:
        new = User(username=_free_username(str(claims.get(settings["USERNAME_CLAIM"]) or sub)),
                   display_name=name, password_hash=None)
        db.session.add(new)
        db.session.flush()
        identity = UserIdentity(user_id=new.id, provider=issuer, subject=sub)
        db.session.add(identity)
    user: User | None = db.session.get(User, identity.user_id)
    if user is None or not user.active:
        db.session.rollback()
        raise SignInRefused(f"user for sub={sub} is deactivated", _("Kontoen din er sperret."))
    user.display_name, user.organisation_id, user.roles = name, org.id if org else None, ",".join(roles)
    identity.last_login_at = clock.now()
    db.session.commit()
    return user


def _free_username(wanted: str) -> str:
    """``wanted`` if no account has it, else ``wanted-2``, ``-3`` …: never take over a local account."""
    base = re.sub(r"[^\w.@-]", "", wanted)[:70] or "ansatt"
    candidate, n = base, 1
    while db.session.scalar(sa.select(User.id).where(User.username == candidate)) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def resident_user(settings: Mapping[str, Any], claims: dict[str, Any]) -> User:
    """The resident account linked to the ``pid`` claim."""
    pid = str(claims.get(settings["PID_CLAIM"]) or "").strip()
    if not pid:
        raise SignInRefused("id_token without pid")
    identity = db.session.scalar(sa.select(UserIdentity).where(UserIdentity.provider == PID_PROVIDER,
                                                               UserIdentity.subject == pid))
    user = identity.user if identity is not None else None
    if identity is None or user is None or not user.active or lanes.RESIDENT not in user.role_set:
        raise SignInRefused("no active resident linked to this pid",
                            _("Vi finner deg ikke i tjenesten. Ta kontakt med bydelen din."))
    identity.last_login_at = clock.now()
    db.session.commit()
    return user


def link_pid(user: User, pid: str) -> UserIdentity:
    """Link a resident account to a fødselsnummer / d-nummer, so ID-porten sign-in finds it."""
    pid = pid.strip()
    if not re.fullmatch(r"\d{11}", pid):
        raise ValueError("Fødselsnummer og d-nummer har 11 sifre.")
    if lanes.RESIDENT not in user.role_set:
        raise ValueError("Bare beboerkontoer kan knyttes til ID-porten.")
    identity = db.session.scalar(sa.select(UserIdentity).where(UserIdentity.provider == PID_PROVIDER,
                                                               UserIdentity.subject == pid))
    if identity is None:
        identity = UserIdentity(user_id=user.id, provider=PID_PROVIDER, subject=pid)
        db.session.add(identity)
    identity.user_id = user.id
    db.session.commit()
    return identity
