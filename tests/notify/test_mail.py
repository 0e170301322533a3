"""The mail outbox against a real SMTP server: sent once, composed right, retried, never duplicated."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from engine import clock
from engine.extensions import db
from engine.notify import admin, delivery
from engine.notify.mail import MailAttachment, enqueue_mail
from engine.store.notify import DEAD, PENDING, SENT, SKIPPED, MailMessage


def _queue(n: int = 1, **kw) -> None:
    for i in range(n):
        enqueue_mail(to_user_id=kw.get("to_user_id"), to_address=kw.get("to_address", f"mottaker{i}@tilbolig.test"),
                     kind="test", subject=kw.get("subject", f"Melding {i}"), text="Hei", dedup_key=f"test:{i}",
                     attachments=kw.get("attachments", ()), alternative=kw.get("alternative"))
    db.session.commit()


def _rows() -> list[MailMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(MailMessage).order_by(MailMessage.id)))


def test_a_queued_mail_is_sent_once_with_its_message_id(smtp_app, smtp_server, users):
    _queue(to_user_id=users["kari.gamleoslo"].id, to_address=None, subject="tilbolig: Ny oppgave i din kø")
    enqueue_mail(to_user_id=users["kari.gamleoslo"].id, to_address=None, kind="test", subject="igjen", text="x",
                 dedup_key="test:0")            # the same dedup key: nothing more
    db.session.commit()
    report = delivery.deliver_due()
    assert (report.sent, report.retried, report.dead) == (1, 0, 0)
    (msg,) = smtp_server.wait_for(1)
    (row,) = _rows()
    assert row.state == SENT and row.attempts == 1 and row.sent_at is not None
    assert msg["Message-ID"] == row.message_id
    assert msg["To"] == "kari.gamleoslo@tilbolig.test" and smtp_server.recipients == [["kari.gamleoslo@tilbolig.test"]]
    assert msg["Subject"] == "tilbolig: Ny oppgave i din kø"          # RFC 2047 round trip
    assert delivery.deliver_due().attempted == 0 and len(smtp_server.messages) == 1


def test_disabled_mail_queues_nothing(ctx, users):
    ctx.config["MAIL_ENABLED"] = False
    _queue()
    assert _rows() == []


def test_alternative_and_attachment_parts(smtp_app, smtp_server):
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    _queue(alternative=MailAttachment("invitasjon.ics", "text/calendar; method=REQUEST", ics),
           attachments=[MailAttachment("invitasjon.ics", "application/ics", ics)])
    delivery.deliver_due()
    (msg,) = smtp_server.wait_for(1)
    assert msg.get_content_type() == "multipart/mixed"
    alt, att = msg.iter_parts()
    assert alt.get_content_type() == "multipart/alternative"
    plain, cal = alt.iter_parts()
    assert plain.get_content().strip() == "Hei"
    assert cal.get_content_type() == "text/calendar" and cal.get_param("method") == "REQUEST"
    assert cal.get_content().replace("\r\n", "\n") == ics.decode().replace("\r\n", "\n")
    assert att.get_filename() == "invitasjon.ics" and att.get_content() == ics


def test_refusals_are_retried_with_backoff_then_sent_once(smtp_app, smtp_server, clock_at):
    traveller = clock_at(2026, 11, 30, 9)
    _queue()
    smtp_server.refuse(2)
    assert delivery.deliver_due().retried == 1
    (row,) = _rows()
    assert (row.state, row.attempts) == (PENDING, 1) and "451" in row.last_error
    assert clock.as_utc(row.next_attempt_at) == clock.now() + timedelta(seconds=30)
    assert delivery.deliver_due().attempted == 0                       # not due yet
    traveller.shift(31)
    assert delivery.deliver_due().retried == 1
    (row,) = _rows()
    assert clock.as_utc(row.next_attempt_at) == clock.now() + timedelta(seconds=60)   # doubled
    traveller.shift(61)
    assert delivery.deliver_due().sent == 1
    assert len(smtp_server.wait_for(1)) == 1 and _rows()[0].attempts == 3


def test_a_server_that_is_down_is_retried(smtp_app, smtp_server, clock_at):
    traveller = clock_at(2026, 11, 30, 9)
    _queue(2)
    port = smtp_app.config["MAIL_SMTP_PORT"]
    with __import__("socket").socket() as s:         # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        smtp_app.config["MAIL_SMTP_PORT"] = s.getsockname()[1]
    assert delivery.deliver_due().retried == 2
    assert all(r.state == PENDING and "Connection" in (r.last_error or "") for r in _rows())
    smtp_app.config["MAIL_SMTP_PORT"] = port
    traveller.shift(31)
    assert delivery.deliver_due().sent == 2
    assert len(smtp_server.wait_for(2)) == 2


def test_a_permanent_refusal_is_dead_and_can_be_requeued(smtp_app, smtp_server, clock_at):
    clock_at(2026, 11, 30, 9)
    _queue()
    smtp_server.refuse(1, "550 5.1.1 Ukjent mottaker")
    assert delivery.deliver_due().dead == 1
    (row,) = _rows()
    assert row.state == DEAD and "550" in row.last_error
    assert admin.requeue(row.id, actor_id=None).state == PENDING
    assert delivery.deliver_due().sent == 1
    assert [m["Message-ID"] for m in smtp_server.wait_for(1)] == [row.message_id]


def test_a_user_without_address_is_skipped(smtp_app, smtp_server, users):
    users["admin"].email = None
    _queue(to_user_id=users["admin"].id, to_address=None)
    assert delivery.deliver_due().skipped == 1
    assert _rows()[0].state == SKIPPED and smtp_server.messages == []


def test_give_up_after_the_attempt_budget(smtp_app, smtp_server, clock_at):
    traveller = clock_at(2026, 11, 30, 9)
    smtp_app.config["MAIL_MAX_ATTEMPTS"] = 2
    try:
        _queue()
        smtp_server.refuse(5)
        delivery.deliver_due()
        traveller.shift(3600)
        assert delivery.deliver_due().dead == 1
        assert _rows()[0].state == DEAD
    finally:
        smtp_app.config["MAIL_MAX_ATTEMPTS"] = 10


def test_cli_send_due(smtp_app, smtp_server):
    _queue(3)
    result = smtp_app.test_cli_runner().invoke(args=["mail", "send-due"])
    assert result.exit_code == 0, result.output
    assert "sendt 3" in result.output
    assert len(smtp_server.wait_for(3)) == 3
    listed = smtp_app.test_cli_runner().invoke(args=["mail", "list", "--state", "sent"])
    assert listed.output.count(" sent ") == 3


def test_lease_keeps_a_claimed_row_from_a_second_worker(smtp_app, smtp_server, clock_at):
    clock_at(2026, 11, 30, 9)
    _queue()
    mine = delivery._claim(10, "worker-a")
    assert [r.id for r in mine] == [_rows()[0].id]
    assert delivery._claim(10, "worker-b") == []                         # leased to a
    with time_machine.travel(clock.now() + timedelta(seconds=301), tick=False):
        assert [r.id for r in delivery._claim(10, "worker-b")] == [mine[0].id]   # a's lease ran out


def test_flask_mail_requeue_is_the_consoles_use_case_audited_and_refusing_a_sent_mail(smtp_app, smtp_server, clock_at):
    from engine.store.models import AuditEvent
    clock_at(2026, 11, 30, 9)
    _queue(2)
    smtp_server.refuse(1, "550 5.1.1 Ukjent mottaker")
    delivery.deliver_due()
    dead, sent = sorted(_rows(), key=lambda r: r.state != DEAD)
    assert (dead.state, sent.state) == (DEAD, SENT)
    runner = smtp_app.test_cli_runner()
    ok = runner.invoke(args=["mail", "requeue", str(dead.id)])
    assert ok.exit_code == 0 and "ligger i kø igjen" in ok.output
    refused = runner.invoke(args=["mail", "requeue", str(sent.id)])
    assert refused.exit_code == 1 and "allerede sendt" in refused.output
    assert runner.invoke(args=["mail", "requeue", "999999"]).exit_code == 1
    db.session.rollback()
    (audit,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.type == "mail.requeued")).all()
    assert audit.data["mail_id"] == dead.id and audit.data["previous_state"] == DEAD and audit.actor_id is None
    assert db.session.get(MailMessage, dead.id).state == PENDING
