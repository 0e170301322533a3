"""Tables: process versions, cases, projections (open tasks, timers), people, audit, access log.

Timestamps are stored as UTC.  SQLite gives them back naive; read them through ``clock.as_utc``.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine import clock
from engine.extensions import Model

UTCDateTime = sa.DateTime(timezone=True)


class StateBytes(sa.types.TypeDecorator):
    """A case's stored workflow state: bytes (BLOB / bytea), whatever format tag they start with.

    Rows written before #15 hold JSON text: on SQLite they come back as ``str`` (the column kept its
    TEXT declaration; SQLite stores each value with its own type), on PostgreSQL migration 0008
    converted them to UTF-8 bytes. Either way the reader gets bytes, and ``engine.bpmn.state_codec``
    decides the format by the first byte. A ``str`` written (a new case's empty ``{}``) is stored as
    its UTF-8 bytes, i.e. format 1.
    """

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | str | None, dialect: sa.Dialect) -> bytes | None:
        return value.encode() if isinstance(value, str) else value

    def process_result_value(self, value: bytes | str | None, dialect: sa.Dialect) -> bytes | None:
        return value.encode() if isinstance(value, str) else value


class Organisation(Model):
    """A bydel or an institution (reference data: Oslo may merge bydeler, so not an enum)."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))   # bydel | institusjon | etat (Velferdsetaten)


class User(Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(320))     # notifications by e-mail (#17); none: no mail
    password_hash: Mapped[str | None] = mapped_column(sa.String(300))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    roles: Mapped[str] = mapped_column(sa.String(200), default="")   # comma-separated
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    organisation = relationship(Organisation)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class ApiToken(Model):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship(User)


class Deployment(Model):
    """The exact files of one deployment, immutable, identified by their content hash."""

    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    files: Mapped[dict] = mapped_column(sa.JSON)          # file name -> text
    has_scripts: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class ProcessVersion(Model):
    """One executable process of a deployment: its parsed spec, stored once for all its cases."""

    __tablename__ = "process_versions"
    __table_args__ = (sa.UniqueConstraint("process_key", "version", name="uq_process_versions_key_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(sa.ForeignKey("deployments.id"), index=True)
    process_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    version: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(300))
    spec_json: Mapped[str] = mapped_column(sa.Text, deferred=True)   # 0.25 MB for the routine: read once per process
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    deployment = relationship(Deployment)


class Case(Model):
    """One running instance («sak»): spec-less engine state plus what the service must query."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(sa.ForeignKey("process_versions.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)   # running|completed|error|suspended|terminated
    bydel_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    resident_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    resident_name: Mapped[str] = mapped_column(sa.String(200))
    external_ref: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    anchors: Mapped[dict] = mapped_column(sa.JSON, default=dict)     # T0, bolig tilbudt, T1 (for lists)
    # deferred: a warm workflow (cached per process, checked by ``version``) never needs the blob, and lists
    # of cases never do — it is read only when a workflow is restored (one SELECT of this column then)
    state: Mapped[bytes] = mapped_column(StateBytes, deferred=True)   # engine.bpmn.state_codec: compressed JSON
    version: Mapped[int] = mapped_column(default=1)
    error_element: Mapped[str | None] = mapped_column(sa.String(200))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_action: Mapped[dict | None] = mapped_column(sa.JSON)       # what to retry
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    process_version = relationship(ProcessVersion)
    bydel = relationship(Organisation, foreign_keys=[bydel_id])
    institution = relationship(Organisation, foreign_keys=[institution_id])


class OpenTask(Model):
    """Projection of READY human tasks: the inbox reads this, never a workflow."""

    __tablename__ = "open_tasks"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)     # SpiffWorkflow task uuid
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    element_id: Mapped[str] = mapped_column(sa.String(200))
    name: Mapped[str | None] = mapped_column(sa.String(300))
    lane: Mapped[str | None] = mapped_column(sa.String(50))
    role: Mapped[str | None] = mapped_column(sa.String(50))
    form: Mapped[str | None] = mapped_column(sa.String(200))
    ui_form: Mapped[str | None] = mapped_column(sa.String(200))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    draft: Mapped[dict | None] = mapped_column(sa.JSON)
    # None: a READY task of the workflow.  Otherwise the service opened it (``"samtykke"``: renew the
    # consent) and the workflow projection leaves the row alone.
    origin: Mapped[str | None] = mapped_column(sa.String(20))

    case = relationship(Case)


class InboxCounter(Model):
    """The inbox's numbers, counted ahead (#15): open tasks of active cases per key.  Kept by the
    triggers of migration ``0015_inbox_counters``, read by ``engine.cases.inbox_counters``; NULLs
    of the task are stored as ``''`` / ``0`` (the key is the primary key)."""

    __tablename__ = "inbox_counters"
    org_id: Mapped[int] = mapped_column(primary_key=True)        # the case's bydel or institution
    lane: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    task_org_id: Mapped[int] = mapped_column(primary_key=True)   # open_tasks.organisation_id, 0: none
    role: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    element_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    claimed_by_id: Mapped[int] = mapped_column(primary_key=True)  # 0: nobody
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)   # year 1: flagged; 9999: none
    stripe: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    n: Mapped[int] = mapped_column()


class Timer(Model):
    """Projection of every waiting timer of every case, written with the case state."""

    __tablename__ = "timers"
    __table_args__ = (sa.UniqueConstraint("case_id", "task_id", name="uq_timers_case_task"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36))
    element_id: Mapped[str] = mapped_column(sa.String(200))
    name: Mapped[str | None] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(20))      # deadline | cycle | other
    deadline_key: Mapped[str | None] = mapped_column(sa.String(100))
    host_task_id: Mapped[str | None] = mapped_column(sa.String(36))
    host_element_id: Mapped[str | None] = mapped_column(sa.String(200))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    broken_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class AuditEvent(Model):
    """What happened in a case, in order: the timeline and the compliance record."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    type: Mapped[str] = mapped_column(sa.String(50), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    element_id: Mapped[str | None] = mapped_column(sa.String(200))
    task_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)   # a closed task's history (409 vs 404)
    data: Mapped[dict | None] = mapped_column(sa.JSON)


class AccessLog(Model):
    """Append-only: every read and write of a case (Normen: who saw what, when, for whom)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(50))
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    granted: Mapped[bool] = mapped_column(default=True)
