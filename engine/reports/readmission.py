"""Readmissions: a stable, privacy-preserving link between the cases of one resident (issue 16).

Why a keyed hash: «what share of those moved to a dwelling come back to an institution within x
years?» needs to know that two cases are the same person, but the report must not become a
register of who was where.  The link is HMAC-SHA256 of the identity given at registration under a
key from configuration (``RESIDENT_LINK_KEY``; by default derived from ``SECRET_KEY`` with a purpose
string of its own, so the link is not the session key and cannot be recomputed without the
server's secret).  It is stored on ``case_facts.resident_link`` only, never shown, never exported, and
a plain SHA-256 of a fødselsnummer (which can be brute-forced in minutes) is never stored.

Which identity: the henvisning's fødselsnummer when one is given (``beboer_fodselsnummer``), else
the fødselsnummer (ID-porten ``pid``) of the resident account linked to the case, else the
resident's name with the birth date from the henvisning, else the resident account itself.  No identity — no link, and the case
counts as a stay but never as a readmission.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date
from typing import Any

import sqlalchemy as sa

from engine.extensions import db
from engine.store.auth import UserIdentity
from engine.store.models import Case
from engine.store.report_facts import CaseFact

PURPOSE = b"tilbolig/resident-link/v1"
#: The windows the report asks about (years after T1), and the mark of a later readmission.
WINDOWS = (1, 2, 5)
LATER = 99
PID_PROVIDER = "pid"
DWELLING = "bolig"


def _bytes(value: object) -> bytes:
    # from_prefixed_env parses JSON: TILBOLIG_SECRET_KEY=123… arrives as a number
    return value if isinstance(value, bytes) else str(value).encode()


def link_key(secret_key: object, configured: object = None) -> bytes:
    """The HMAC key: the configured one, or one derived from the secret key for this purpose only."""
    if configured:
        return _bytes(configured)
    return hmac.new(_bytes(secret_key), PURPOSE, hashlib.sha256).digest()


def resident_link(key: bytes, identity: str) -> str:
    """The link of one identity (hex HMAC-SHA256)."""
    return hmac.new(key, identity.encode("utf-8"), hashlib.sha256).hexdigest()


def _norm_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(re.sub(r"[^\w ]", " ", text).split())


def identity(case_id: int, henvisning: dict[str, Any]) -> str | None:
    """The identity a case's resident is linked by (see the module docstring), or None."""
    number = re.sub(r"\D", "", str(henvisning.get("beboer_fodselsnummer") or ""))
    if len(number) == 11:
        return f"fnr:{number}"
    resident = db.session.connection().execute(sa.select(Case.resident_user_id, Case.resident_name)
                                               .where(Case.id == case_id)).first()
    if resident is not None and resident.resident_user_id is not None:
        pid = db.session.connection().execute(sa.select(UserIdentity.subject).where(
            UserIdentity.user_id == resident.resident_user_id, UserIdentity.provider == PID_PROVIDER)).scalar()
        if pid:
            return f"fnr:{re.sub(r'[^0-9]', '', pid)}"
    born = str(henvisning.get("beboer_fodselsdato") or "")
    name = _norm_name(str(henvisning.get("beboer_navn") or (resident.resident_name if resident else "") or ""))
    if born and name:
        return f"navn:{name}|{born}"
    if resident is not None and resident.resident_user_id is not None:
        return f"konto:{resident.resident_user_id}"     # a resident account is one person
    return None


def make_link(key: bytes) -> Any:
    """The hook's link function: case id and henvisning → link (or None)."""

    def link(case_id: int, henvisning: dict[str, Any]) -> str | None:
        who = identity(case_id, henvisning)
        return resident_link(key, who) if who else None

    return link


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def within(t1: date, next_t0: date | None) -> int | None:
    """The smallest window (1, 2, 5 years) the next stay began in; LATER after that; None if none."""
    if next_t0 is None:
        return None
    return next((n for n in WINDOWS if next_t0 <= add_years(t1, n)), LATER)


def readmissions(stays: list[tuple[int, date | None, date | None, str | None]]) -> dict[int, int | None]:
    """For one resident's stays ``(case_id, t0, t1, ending)``: each dwelling move's readmission window.

    A readmission is the next stay (another case of the same person) that began on or after T1.
    """
    out: dict[int, int | None] = {}
    for case_id, _t0, t1, ending in stays:
        if t1 is None or ending != DWELLING:
            out[case_id] = None
            continue
        later = [s[1] for s in stays if s[0] != case_id and s[1] is not None and s[1] >= t1]
        out[case_id] = within(t1, min(later) if later else None)
    return out


def relink(link: str) -> None:
    """Recompute the readmission of every case of one resident (a stay began or ended)."""
    conn = db.session.connection()
    stays = [tuple(r) for r in conn.execute(sa.select(CaseFact.case_id, CaseFact.t0, CaseFact.t1, CaseFact.ending,
                                                      CaseFact.readmit_within).where(CaseFact.resident_link == link))]
    now = {r[0]: r[4] for r in stays}
    for case_id, value in readmissions([s[:4] for s in stays]).items():   # type: ignore[misc]
        if now[case_id] != value:
            conn.execute(sa.update(CaseFact).where(CaseFact.case_id == case_id).values(readmit_within=value))


def recompute_all() -> int:
    """Recompute every resident's readmissions (after a bulk load or a backfill); returns the links seen."""
    conn = db.session.connection()
    by_link: dict[str, list[tuple[int, date | None, date | None, str | None]]] = {}
    for r in conn.execute(sa.select(CaseFact.case_id, CaseFact.t0, CaseFact.t1, CaseFact.ending,
                                    CaseFact.resident_link).where(CaseFact.resident_link.is_not(None))):
        by_link.setdefault(r.resident_link, []).append((r.case_id, r.t0, r.t1, r.ending))
    updates = []
    for stays in by_link.values():
        for case_id, value in readmissions(stays).items():
            if value is not None:
                updates.append({"cid": case_id, "v": value})
    conn.execute(sa.update(CaseFact).values(readmit_within=None))
    if updates:
        conn.execute(sa.update(CaseFact).where(CaseFact.case_id == sa.bindparam("cid"))
                     .values(readmit_within=sa.bindparam("v")), updates)
    return len(by_link)
