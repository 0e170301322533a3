"""Lane names, roles, and the rule for who may act in which lane.

This is the single place that decides permissions on cases and tasks; the service asks it and the
engine never does. Pure: no Flask, no database — callers pass plain values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

BEBOER, BYDEL, INSTITUSJON = "beboer", "bydel", "institusjon"
LANES = (BEBOER, BYDEL, INSTITUSJON)

SAKSBEHANDLER, LEDER, PROSESSEIER, ADMINISTRATOR, RESIDENT = (
    "saksbehandler", "leder", "prosesseier", "administrator", "beboer")
#: Velferdsetaten's advisers: the city-wide, anonymised view of the reports and the survey (issue 16);
#: never a party to a case, so never a reader of one.
VELFERDSETATEN = "velferdsetaten"
#: A process owner an administrator trusts with script tasks (``flask users trust-scripts``): their
#: deployments may contain scripts, which still run in the sandbox (``engine.bpmn.scripts``).
SCRIPTS_TRUSTED = "skriptbetrodd"
ROLES = (SAKSBEHANDLER, LEDER, PROSESSEIER, ADMINISTRATOR, RESIDENT, VELFERDSETATEN, SCRIPTS_TRUSTED)
#: Roles a diagram may demand of a task with the ``rolle`` property.
TASK_ROLES = (LEDER,)


@dataclass(frozen=True)
class Actor:
    """Who is calling: a user with an organisation (bydel or institution) and roles."""

    user_id: int
    username: str
    organisation_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_caseworker(self) -> bool:
        return bool(self.roles & {SAKSBEHANDLER, LEDER})


@dataclass(frozen=True)
class Parties:
    """The three parties of one case."""

    bydel_id: int
    institution_id: int
    resident_user_id: int | None = None


class Capacity(str, Enum):
    """How an actor acts on a task: as themselves, or recorded as on the resident's behalf."""

    SELF = "self"
    ON_BEHALF = "on_behalf"


def is_party(actor: Actor, parties: Parties) -> bool:
    """A caseworker of the case's bydel or institution, or the case's own resident."""
    if actor.has(RESIDENT) and parties.resident_user_id == actor.user_id:
        return True
    return actor.is_caseworker and actor.organisation_id in (parties.bydel_id, parties.institution_id)


def may_read(actor: Actor, parties: Parties) -> bool:
    """Parties read their case; administrators read any case to repair it (every read is logged)."""
    return is_party(actor, parties) or actor.has(ADMINISTRATOR)


def lane_organisation(lane: str | None, parties: Parties) -> int | None:
    """The organisation responsible for a lane in this case (``None`` for the resident's lane).

    A party the process declares (any lane that is not one of the three) is the bydel's: the bydel
    is responsible for the case, so those tasks show in the bydel's worklist.
    """
    if lane == INSTITUSJON:
        return parties.institution_id
    if lane == BEBOER or lane is None:
        return None
    return parties.bydel_id


def holds_party_role(actor: Actor, party: str) -> bool:
    """Whether the actor has a role named like a declared party («Saksbehandler», «fagleder»)."""
    return party.lower() in {r.lower() for r in actor.roles}


def capacity(actor: Actor, parties: Parties, lane: str | None, role: str | None = None) -> Capacity | None:
    """May ``actor`` complete a task in ``lane`` (needing ``role``)?  ``None`` means no.

    *bydel* → caseworkers of the case's bydel; *institusjon* → of the case's institution;
    *beboer* → the resident, or a caseworker of either organisation on the resident's behalf.
    A task with ``rolle=leder`` needs a leader of the lane's organisation.

    Any other lane is a party the process declares (``engine.bpmn.parties``): a caseworker of the
    case's bydel or institution who holds a role of that name acts on it; a leader of the case's
    bydel may always act, so a task never waits for a role nobody has been given yet.
    """
    if lane == BEBOER:
        if actor.has(RESIDENT) and parties.resident_user_id == actor.user_id:
            return Capacity.SELF
        if actor.is_caseworker and actor.organisation_id in (parties.bydel_id, parties.institution_id):
            return Capacity.ON_BEHALF
        return None
    if lane is None:
        return None
    if lane not in (BYDEL, INSTITUSJON):
        return _declared_capacity(actor, parties, lane, role)
    org = lane_organisation(lane, parties)
    if org is None or actor.organisation_id != org or not actor.is_caseworker:
        return None
    if role == LEDER and not actor.has(LEDER):
        return None
    return Capacity.SELF


def _declared_capacity(actor: Actor, parties: Parties, party: str, role: str | None) -> Capacity | None:
    if not actor.is_caseworker or actor.organisation_id not in (parties.bydel_id, parties.institution_id):
        return None
    if role == LEDER and not actor.has(LEDER):
        return None
    if holds_party_role(actor, party):
        return Capacity.SELF
    if actor.organisation_id == parties.bydel_id and actor.has(LEDER):
        return Capacity.SELF
    return None
