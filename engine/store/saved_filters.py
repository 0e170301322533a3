"""Saved filters: a user's named filters of the inbox and the case list (#14 «find work»).

A filter is the list page's own query string (search, step, scope, ordering …), so a saved filter is
a link; nothing about the list's rows is stored.  One name per user and list.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.extensions import Model
from engine.store.models import UTCDateTime


class SavedFilter(Model):
    __tablename__ = "saved_filters"
    __table_args__ = (sa.UniqueConstraint("user_id", "list", "name", name="uq_saved_filters_user_list_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    list: Mapped[str] = mapped_column(sa.String(20))       # innboks | saker
    name: Mapped[str] = mapped_column(sa.String(80))
    query: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
