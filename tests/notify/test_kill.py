"""A real ``flask worker`` process killed with SIGKILL while the SMTP server holds a message it has
already stored: after another worker's pass every message reached the server exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import time_machine

from engine import clock
from engine.extensions import db
from engine.notify import delivery
from engine.notify.mail import enqueue_mail
from engine.store.notify import PENDING, SENT, UNCERTAIN, MailMessage

ROOT = Path(__file__).resolve().parents[2]
N = 12


def _worker(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "FLASK_APP": "engine", "TILBOLIG_SQLALCHEMY_DATABASE_URI": url, "TILBOLIG_SECRET_KEY": "test",
           "TILBOLIG_MAIL_ENABLED": "true", "TILBOLIG_MAIL_SMTP_HOST": "127.0.0.1", "TILBOLIG_MAIL_SMTP_PORT": str(port),
           "TILBOLIG_SCHEDULER_ENABLED": "false", "TILBOLIG_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "flask", "worker", "--tick", "0.2"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _states() -> Counter:
    db.session.rollback()
    return Counter(db.session.scalars(sa.select(MailMessage.state)))


def test_kill_9_mid_send_duplicates_nothing(smtp_app, smtp_server):
    for i in range(N):
        enqueue_mail(to_user_id=None, to_address=f"m{i}@tilbolig.test", kind="test", subject=f"Melding {i}", text="Hei",
                     dedup_key=f"kill:{i}")
    db.session.commit()
    smtp_server.hold()                         # the first message is stored, its 250 never comes
    url = db.engine.url.render_as_string(hide_password=False)
    victim = _worker(url, smtp_server.port)
    try:
        assert smtp_server.handler.holding.wait(60), victim.stderr.read() if victim.poll() is not None else "no send"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)
    assert _states() == Counter({PENDING: N - 1, "sending": 1})    # the killed worker was between DATA and «sent»
    # another worker, once the dead one's lease has run out: sends the rest, leaves the uncertain one alone
    with time_machine.travel(clock.now() + timedelta(seconds=301), tick=False):
        report = delivery.deliver_due()
    assert (report.sent, report.uncertain) == (N - 1, 1)
    received = Counter(m["Message-ID"] for m in smtp_server.wait_for(N))
    assert len(received) == N and set(received.values()) == {1}
    db.session.rollback()
    ids = dict(db.session.execute(sa.select(MailMessage.message_id, MailMessage.state)).all())
    assert set(ids) == set(received) and Counter(ids.values()) == Counter({SENT: N - 1, UNCERTAIN: 1})
    again = delivery.deliver_due()                       # and nothing more, ever
    assert again.attempted == 0 and len(smtp_server.messages) == N


def test_kill_9_before_the_message_went_out_sends_it_later(smtp_app, smtp_server):
    """Killed after the claim and RCPT but before DATA: the lease runs out and the mail is sent once."""
    enqueue_mail(to_user_id=None, to_address="m@tilbolig.test", kind="test", subject="S", text="Hei", dedup_key="k")
    db.session.commit()
    release = smtp_server.stall_rcpt()
    victim = _worker(db.engine.url.render_as_string(hide_password=False), smtp_server.port)
    try:
        assert smtp_server.handler.holding.wait(60)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)
    release.set()
    smtp_server.handler.stalled = None
    assert _states() == Counter({PENDING: 1})
    with time_machine.travel(clock.now() + timedelta(seconds=301), tick=False):
        assert delivery.deliver_due().sent == 1
    assert len(smtp_server.wait_for(1)) == 1 and _states() == Counter({SENT: 1})
