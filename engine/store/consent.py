"""The consent projection («samtykke»): what the resident agreed may be shared, with whom, until when.

One row per consent *given, refused or renewed* in a case, newest last; the current one is the row
that nothing has superseded.  Written only by ``engine.cases.consent`` inside a case's unit of work,
read by ``engine.access.consent`` — so who may see what is a query, never a workflow restore.
Withdrawal and expiry do not delete anything: a row is kept as the record of what was agreed.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.extensions import Model
from engine.store.models import UTCDateTime


class Consent(Model):
    """One consent record of a case (Oslostandard tiltak 1: what, with whom, for how long)."""

    __tablename__ = "consents"
    __table_args__ = (sa.Index("ix_consents_renewal_due", "renewal_due_at", "renewal_task_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    given: Mapped[bool] = mapped_column(default=False)                  # False: the resident said no
    categories: Mapped[list] = mapped_column(sa.JSON, default=list)     # engine.access.sharing.CATEGORIES keys
    directions: Mapped[list] = mapped_column(sa.JSON, default=list)     # bydel_til_institusjon | institusjon_til_bydel
    other_recipients: Mapped[list] = mapped_column(sa.JSON, default=list)   # [{instans, navn}] outside the service
    given_on: Mapped[date | None] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)          # the last Oslo day it is valid
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)              # a caseworker recorded it for the resident
    task_id: Mapped[str | None] = mapped_column(sa.String(36))           # the task whose form recorded it
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # a newer consent replaced it
    renewal_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the bydel's renewal task opens
    renewal_task_id: Mapped[str | None] = mapped_column(sa.String(36))     # set once that task is open
