"""Shared steps of the meeting tests: a case of the real routine with its first samarbeidsmøte open."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.access.rules import actor_for
from engine.extensions import db
from engine.meetings import planning
from engine.store.models import User


def user(name: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == name))


def actor(name: str) -> Any:
    return actor_for(user(name))


def open_first_meeting(r: Any, clock: Any) -> tuple[int, str]:
    """A case with T0 registered on 5 January 2026: «Hold første samarbeidsmøte» (institusjonen) is open."""
    case_id = r.open("2026-01-05")
    clock.at("2026-01-05", 10)
    r.run_timers()
    r.complete(case_id, "innflytting_registrert", innflytting="2026-01-05")
    return case_id, r.task(case_id, "forste_samarbeidsmote").id


def plan_input(day: str = "2026-01-20", start: str = "10:00", end: str = "11:30", place: str = "Møterom 2, Bygdøy",
               video: str = "", who: tuple[str, ...] = ("kari.gamleoslo", "beboer.test")) -> planning.PlanInput:
    return planning.PlanInput(day=day, start=start, end=end, place=place, video_link=video,
                              participant_ids=[str(user(n).id) for n in who])
