"""Tables of the webhook edge: subscriptions and their outbox, inbound sources and their events.

An outbox row is written in the same transaction as the case change that caused it (so a rolled
back change emits nothing and a committed one is never lost); the worker moves it from *pending*
to *delivered* or *dead*.  An inbound event is stored before it is acted on, keyed by
(source, webhook-id) so a replay is recognised.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine import clock
from engine.extensions import Model
from engine.store.models import UTCDateTime

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
HELD, UNMATCHED, FAILED = "held", "unmatched", "failed"


class WebhookSubscription(Model):
    """An endpoint another system registered: where, which event types, and the signing secret."""

    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    secret: Mapped[str] = mapped_column(sa.String(200))
    event_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    description: Mapped[str | None] = mapped_column(sa.String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class OutboxEvent(Model):
    """One event for one subscription; delivered in id order per (subscription, case)."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (sa.Index("ix_webhook_outbox_due", "state", "next_attempt_at"),
                      sa.Index("ix_webhook_outbox_order", "subscription_id", "case_id", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(sa.Integer)          # no FK: the event outlives nothing
    event_type: Mapped[str] = mapped_column(sa.String(50))
    msg_id: Mapped[str] = mapped_column(sa.String(64), unique=True)  # webhook-id: the receiver de-duplicates on it
    body: Mapped[str] = mapped_column(sa.Text)                       # exact signed bytes, same on every attempt
    state: Mapped[str] = mapped_column(sa.String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscription = relationship(WebhookSubscription)


class InboundSource(Model):
    """A system allowed to send us events, with its secret and the message names it may send."""

    __tablename__ = "inbound_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    secret: Mapped[str] = mapped_column(sa.String(200))
    messages: Mapped[list] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class InboundEvent(Model):
    """A verified inbound event: held until its case waits for it, then delivered (or unmatched)."""

    __tablename__ = "inbound_events"
    __table_args__ = (sa.UniqueConstraint("source_id", "webhook_id", name="uq_inbound_events_source_webhook"),
                      sa.Index("ix_inbound_events_case_state", "case_id", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("inbound_sources.id"))
    webhook_id: Mapped[str] = mapped_column(sa.String(200))
    message_name: Mapped[str] = mapped_column(sa.String(100))
    case_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)       # the case it matched
    requested_case_id: Mapped[int | None] = mapped_column(sa.Integer)        # what the sender named
    external_ref: Mapped[str | None] = mapped_column(sa.String(200))
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    state: Mapped[str] = mapped_column(sa.String(20), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    source = relationship(InboundSource)
