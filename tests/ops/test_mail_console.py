"""The console's e-mail page (#17 follow-up): counts and a keyset page of the mail outbox, and «Send på
nytt» for an uncertain or dead mail — same Message-ID, audited, administrators only."""
from __future__ import annotations

import re

import sqlalchemy as sa

from engine import clock
from engine.extensions import db
from engine.store.models import AuditEvent
from engine.store.notify import MailMessage
from tests.web.conftest import browser  # noqa: F401 - fixture


def mails(n: int, state: str, user_id: int | None = None, attempts: int = 0, error: str | None = None) -> list[int]:
    """``n`` mail rows in ``state`` (written directly: the page shows what the worker left behind)."""
    start = db.session.scalar(sa.select(sa.func.count()).select_from(MailMessage)) or 0
    rows = [MailMessage(dedup_key=f"konsoll:{start + i}", kind="task.created", to_user_id=user_id,
                        to_address=None if user_id else "ekstern@tilbolig.test", subject="Hemmelig emne",
                        text="Hemmelig innhold", parts={}, message_id=f"<m{start + i}@tilbolig.test>", state=state,
                        attempts=attempts, last_error=error, next_attempt_at=clock.now(), created_at=clock.now(),
                        sent_at=clock.now() if state == "sent" else None)
            for i in range(n)]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def test_admin_sees_counts_and_a_keyset_page_of_mails_never_their_content(browser, users, clock_at):
    clock_at(2026, 3, 1, 9)
    kari = users["kari.gamleoslo"].id
    mails(2, "sent", kari, attempts=1)
    dead = mails(54, "dead", kari, attempts=1, error="550 5.1.1 mailbox unavailable")
    uncertain = mails(1, "uncertain", kari, attempts=1, error="worker stopped after DATA")
    html = browser("admin").get("/admin/epost").get_data(as_text=True)
    assert "Ga opp – ikke sendt (54)" in html and "Usikker – sjekk e-postloggen (1)" in html
    assert html.count("data-mail=") == 50 and 'id="next-page"' in html            # 50 a page, newest first
    assert re.findall(r'data-mail="(\d+)"', html)[0] == str(uncertain[0])
    assert "kari.gamleoslo" in html and f"&lt;m{uncertain[0] - 1}@tilbolig.test&gt;" in html
    assert "550 5.1.1 mailbox unavailable" in html and "task.created" in html
    assert "Hemmelig" not in html                                                  # neither subject nor body
    assert html.count(">Send på nytt<") == 50 and 'href="/admin/epost"' in html    # in the console's menu
    older = browser("admin").get(f"/admin/epost?før={dead[5]}").get_data(as_text=True)   # keyset: below the id
    assert f'data-mail="{dead[4]}"' in older and f'data-mail="{dead[5]}"' not in older
    only = browser("admin").get("/admin/epost?tilstand=uncertain").get_data(as_text=True)
    assert re.findall(r'data-mail="(\d+)"', only) == [str(uncertain[0])]


def test_a_caseworker_and_a_process_owner_are_refused(browser, users):
    (mail_id,) = mails(1, "uncertain", users["kari.gamleoslo"].id)
    for who in ("kari.gamleoslo", "prosesseier"):
        assert browser(who).get("/admin/epost").status_code in (403, 404)
        assert browser(who).post(f"/admin/epost/{mail_id}/send-igjen", {}).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(MailMessage, mail_id).state == "uncertain"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "mail.requeued")) is None


def test_requeue_of_an_uncertain_mail_queues_it_with_the_same_message_id_and_audits(browser, users, clock_at):
    clock_at(2026, 3, 1, 9)
    (mail_id,) = mails(1, "uncertain", users["kari.gamleoslo"].id, attempts=1)
    b = browser("admin")
    b.get("/admin/epost")
    r = b.post(f"/admin/epost/{mail_id}/send-igjen", {"tilstand": "uncertain",
                                                      "tilbake": "/admin/epost?tilstand=uncertain"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/epost?tilstand=uncertain")
    db.session.expire_all()
    row = db.session.get(MailMessage, mail_id)
    assert (row.state, row.attempts, row.message_id) == ("pending", 0, f"<m{mail_id - 1}@tilbolig.test>")
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "mail.requeued"))
    assert audit.actor_id == users["admin"].id and audit.data["mail_id"] == mail_id
    assert audit.data["previous_state"] == "uncertain" and audit.data["message_id"] == row.message_id
    # a CSRF-less POST is refused and changes nothing
    (dead_id,) = mails(1, "dead", users["kari.gamleoslo"].id)
    assert b.post(f"/admin/epost/{dead_id}/send-igjen", {}, csrf=False).status_code in (400, 403)
    db.session.expire_all()
    assert db.session.get(MailMessage, dead_id).state == "dead"
    # a foreign «tilbake» is not followed
    r = b.post(f"/admin/epost/{dead_id}/send-igjen", {"tilbake": "https://evil.example/"})
    assert r.status_code == 302 and "evil" not in r.headers["Location"]


def test_requeue_of_a_sent_mail_is_refused_with_a_clear_message(browser, users):
    (mail_id,) = mails(1, "sent", users["kari.gamleoslo"].id, attempts=1)
    b = browser("admin")
    b.get("/admin/epost")
    r = b.post(f"/admin/epost/{mail_id}/send-igjen", {"tilstand": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and 'role="alert"' in html and "allerede sendt" in html
    db.session.expire_all()
    assert db.session.get(MailMessage, mail_id).state == "sent"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "mail.requeued")) is None
    assert b.post("/admin/epost/999999/send-igjen", {}).status_code == 404
