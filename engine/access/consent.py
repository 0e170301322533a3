"""Consent that acts: the one place that decides which case information a reader may see.

PROCESS.md: «without consent, information is not shared».  Every read path — the case page, the
API's case data, events and tasks, the task page's prefill, Min side — asks a :class:`Reader` built
here, and nowhere else decides.  The rule, for one piece of information (a form's field, or the
process's own state) written in a lane:

* The organisation that wrote it sees it (its own caseworkers; drafts only to whoever may act).
* The *other* organisation of the case sees it only if the resident's current consent is valid
  today (given, not withdrawn, not past its last day) and covers both its category and that
  direction (bydel → institusjon or institusjon → bydel).  ``saksgang`` (dates, steps, staff
  contacts, the consent itself) is always shared; ``intern`` never.
* What the resident gave (lane *beboer*: samtykke, livskvalitet, kriseplan) is given to both
  organisations by the resident, so both see it.
* The resident sees their own answers, their plan and meetings (``FormPolicy.resident``) and the
  process state; not the organisations' drafts and internal assessments.
* ``saksgang`` (and the process's own state) is shown to everyone who may read the case.  Anyone
  else allowed to read it (an administrator repairing it) sees that, not the content of forms.

The consent is read from the ``consents`` projection (``engine.store.consent``), so deciding never
restores a workflow.  Pure decisions are on :class:`Reader`; the sentences that say what was held
back are the web layer's (``engine.web.withheld``), through the translation layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from engine import clock
from engine.access import sharing
from engine.access.sharing import INTERN, SAKSGANG, FormPolicy
from engine.bpmn import lanes
from engine.bpmn.deadlines import end_of_day_utc
from engine.bpmn.lanes import Actor, Parties
from engine.extensions import db
from engine.store.consent import Consent

#: The consent's states, as stored words and shown in the API.
MISSING, VALID, REFUSED, EXPIRED, WITHDRAWN = "mangler", "gyldig", "ikke_gitt", "utlopt", "trukket"
#: Who is reading, relative to the case.
BYDEL, INSTITUSJON, BEBOER, DRIFT = lanes.BYDEL, lanes.INSTITUSJON, lanes.BEBOER, "drift"
#: Why something is held back.
NO_CONSENT, INTERNAL, NOT_FOR_RESIDENT, OPERATOR = "samtykke", "intern", "ikke_for_beboer", "drift"

#: A consent lasts at most this long from the day it was given («for hvor lenge»: bounded).
MAX_MONTHS = 24
#: The bydel gets the renewal task this many days before the consent's last day.
RENEW_DAYS_BEFORE = 30


@dataclass(frozen=True)
class Grant:
    """The current consent of a case, as read from the projection."""

    id: int
    given: bool
    categories: frozenset[str]
    directions: frozenset[str]
    other_recipients: tuple[dict[str, Any], ...]
    given_on: date | None
    valid_until: date | None
    recorded_at: datetime
    on_behalf: bool
    withdrawn_at: datetime | None
    renewal_due_at: datetime | None
    renewal_task_id: str | None

    @classmethod
    def of(cls, row: Consent) -> Grant:
        return cls(row.id, bool(row.given), frozenset(row.categories or ()), frozenset(row.directions or ()),
                   tuple(row.other_recipients or ()), row.given_on, row.valid_until, clock.as_utc(row.recorded_at),
                   bool(row.on_behalf), clock.as_utc(row.withdrawn_at) if row.withdrawn_at else None,
                   clock.as_utc(row.renewal_due_at) if row.renewal_due_at else None, row.renewal_task_id)

    def state(self, today: date) -> str:
        if self.withdrawn_at is not None:
            return WITHDRAWN
        if not self.given:
            return REFUSED
        if self.valid_until is None or today > self.valid_until:
            return EXPIRED
        return VALID

    def covers(self, category: str, direction: str, today: date) -> bool:
        return self.state(today) == VALID and category in self.categories and direction in self.directions


def current(case_id: int) -> Grant | None:
    """The case's current consent (the newest row nothing superseded), or None if none was recorded."""
    row = db.session.scalar(sa.select(Consent).where(Consent.case_id == case_id, Consent.superseded_at.is_(None))
                            .order_by(Consent.id.desc()).limit(1))
    return Grant.of(row) if row is not None else None


def state_of(grant: Grant | None, today: date | None = None) -> str:
    return MISSING if grant is None else grant.state(today or clock.today_oslo())


@dataclass(frozen=True)
class Source:
    """Where a piece of case information came from: the lane that wrote it and its form's policy.

    ``policy`` None is the process's own state (anchors, flags set by scripts): no form wrote it.
    """

    lane: str | None
    policy: FormPolicy | None

    @classmethod
    def form(cls, lane: str | None, form: str | None) -> Source:
        return cls(lane, sharing.policy(form))


PROCESS_STATE = Source(None, None)


@dataclass(frozen=True)
class Decision:
    """Whether one piece is shown; if not, enough to say why (``engine.web.withheld`` words it)."""

    visible: bool
    why: str | None = None
    category: str | None = None
    owner: str | None = None            # the lane that wrote it
    consent_state: str | None = None    # for NO_CONSENT: mangler | ikke_gitt | utlopt | trukket
    since: date | datetime | None = None   # withdrawn at / last valid day


SHOWN = Decision(True)


def viewer_of(actor: Actor, parties: Parties) -> str:
    """Which side of the case ``actor`` reads from (the read itself was already allowed)."""
    if actor.is_caseworker and actor.organisation_id == parties.bydel_id:
        return BYDEL
    if actor.is_caseworker and actor.organisation_id == parties.institution_id:
        return INSTITUSJON
    if actor.has(lanes.RESIDENT) and parties.resident_user_id == actor.user_id:
        return BEBOER
    return DRIFT


class Reader:
    """One reader of one case at one moment: decides every piece against the same consent."""

    def __init__(self, actor: Actor, parties: Parties, grant: Grant | None, today: date) -> None:
        self.actor, self.parties, self.grant, self.today = actor, parties, grant, today
        self.viewer = viewer_of(actor, parties)

    @property
    def consent_state(self) -> str:
        return state_of(self.grant, self.today)

    def decide(self, source: Source, key: str | None = None) -> Decision:
        """May this reader see ``key`` of what ``source`` wrote (the whole form if ``key`` is None)?"""
        if source.policy is None:
            return SHOWN
        category = source.policy.category_of(key)
        owner = source.lane
        if category == SAKSGANG:
            return SHOWN                      # the routine's shared facts: dates, steps, staff contacts
        if self.viewer == BEBOER:
            if owner == lanes.BEBOER or (source.policy.resident and category != INTERN):
                return SHOWN
            return Decision(False, INTERNAL if category == INTERN else NOT_FOR_RESIDENT, category, owner)
        if self.viewer == DRIFT:
            return Decision(False, OPERATOR, category, owner)
        if owner == self.viewer:
            return SHOWN
        if category == INTERN:
            return Decision(False, INTERNAL, category, owner)
        if owner not in (BYDEL, INSTITUSJON):
            return SHOWN                      # the resident's own, given to both organisations
        direction = sharing.TO_INSTITUTION if owner == BYDEL else sharing.TO_BYDEL
        if self.grant is not None and self.grant.covers(category, direction, self.today):
            return SHOWN
        return self._no_consent(category, owner)

    def _no_consent(self, category: str, owner: str | None) -> Decision:
        state = self.consent_state
        since: date | datetime | None = None
        if self.grant is not None and state == WITHDRAWN:
            since = self.grant.withdrawn_at
        elif self.grant is not None and state == EXPIRED:
            since = self.grant.valid_until
        return Decision(False, NO_CONSENT, category, owner, state, since)

    def may_see_draft(self, lane: str | None, role: str | None) -> bool:
        """A draft is the writer's unfinished work: only someone who may complete the task reads it."""
        return lanes.capacity(self.actor, self.parties, lane, role) is not None

    def hides_task(self, role: str | None, form: str | None) -> bool:
        """Leaders' follow-ups and other internal steps are not part of the resident's case."""
        if self.viewer != BEBOER:
            return False
        return role == lanes.LEDER or sharing.policy(form).category == INTERN


def reader(actor: Actor, parties: Parties, case_id: int) -> Reader:
    """A reader for the case's consent as it stands now (one query)."""
    return Reader(actor, parties, current(case_id), clock.today_oslo())


# -- the consent form's own rules (beyond its JSON Schema) ----------------------------------------

def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def check(values: dict[str, Any], today: date) -> dict[str, list[str]]:
    """Errors by field for a consent the schema accepted: its end date must be bounded.

    «For hvor lenge samtykket gjelder» must be a real period: not already over, and at most
    ``MAX_MONTHS`` from the day it was given.
    """
    if values.get("samtykke_gitt") is not True:
        return {}
    given_on = _date(values.get("samtykke_dato")) or today
    until = _date(values.get("samtykke_gyldig_til"))
    if until is None:
        return {}
    errors: list[str] = []
    if until < today:
        errors.append("Datoen er passert. Et samtykke må gjelde fra i dag eller senere.")
    if until < given_on:
        errors.append("Kan ikke være før datoen samtykket ble gitt.")
    if until > given_on + relativedelta(months=MAX_MONTHS):
        errors.append(f"Et samtykke kan gjelde i høyst {MAX_MONTHS} måneder om gangen; det kan fornyes.")
    if given_on > today:
        return {"samtykke_dato": ["Kan ikke være en dato fram i tid."], **({"samtykke_gyldig_til": errors} if errors else {})}
    return {"samtykke_gyldig_til": errors} if errors else {}


def renewal_due(valid_until: date) -> datetime:
    """When the bydel's renewal task opens: the start of the Oslo day ``RENEW_DAYS_BEFORE`` before the
    last valid day (the midnight that ends the day before it)."""
    return end_of_day_utc(valid_until - timedelta(days=RENEW_DAYS_BEFORE + 1))


def lapses_at(valid_until: date) -> datetime:
    """The instant a consent is no longer valid: the midnight after its last day, in Oslo."""
    return end_of_day_utc(valid_until)
