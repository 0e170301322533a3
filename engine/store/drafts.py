"""Drafts of the browser modeler (#18): one working copy per process, saved as the owner edits.

A draft is the files a deployment would be made of (diagram, forms), by name.  ``revision`` counts
saves, so a save based on an older revision (another tab, another owner) is refused with 409
instead of silently overwriting.  Deploying makes an immutable version; the draft stays until
discarded, so work can continue from it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.extensions import Model
from engine.store.models import UTCDateTime


class ProcessDraft(Model):
    __tablename__ = "process_drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    files: Mapped[dict] = mapped_column(sa.JSON)           # file name -> text
    base_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_versions.id"))
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
