"""Login throttling (#13): per username and per address, counted in the database so every web
process shares the count; HTTP 429 with a plain Norwegian message and ``Retry-After``."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from engine.extensions import db
from engine.store.auth import LoginAttempt, UserSession
from tests.web.conftest import Browser

ROOT = Path(__file__).resolve().parents[2]


def _try(ctx, username: str, password: str, address: str = "127.0.0.1"):
    b = Browser(ctx.test_client())
    b.get("/logg-inn")
    return b.post("/logg-inn", {"username": username, "password": password},
                  environ_base={"REMOTE_ADDR": address})


def test_five_wrong_passwords_lock_the_username_with_a_429_and_a_clear_message(ctx, users, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    for _ in range(5):
        assert _try(ctx, "kari.gamleoslo", "feil").status_code == 401
    r = _try(ctx, "kari.gamleoslo", "test-passord")                # even the right password waits
    html = r.get_data(as_text=True)
    assert r.status_code == 429 and "For mange mislykkede innlogginger. Vent 15 minutter" in html
    assert int(r.headers["Retry-After"]) == 15 * 60
    assert _try(ctx, "KARI.gamleoslo ", "test-passord").status_code == 429   # same name, other spelling
    assert _try(ctx, "ola.grunerlokka", "test-passord").status_code == 302   # others are not locked out
    traveller.shift(timedelta(minutes=15, seconds=1))
    assert _try(ctx, "kari.gamleoslo", "test-passord").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 2


def test_a_success_starts_the_count_again(ctx, users, clock_at):
    clock_at(2026, 3, 1, 9)
    for _ in range(4):
        _try(ctx, "kari.gamleoslo", "feil")
    assert _try(ctx, "kari.gamleoslo", "test-passord").status_code == 302
    for _ in range(4):
        _try(ctx, "kari.gamleoslo", "feil")
    assert _try(ctx, "kari.gamleoslo", "test-passord").status_code == 302


def test_one_address_trying_many_usernames_is_throttled(app, ctx, users, clock_at):
    clock_at(2026, 3, 1, 9)
    saved = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 4
    try:
        for i in range(4):
            assert _try(ctx, f"finnes.ikke.{i}", "feil", "203.0.113.7").status_code == 401
        assert _try(ctx, "admin", "test-passord", "203.0.113.7").status_code == 429
        assert _try(ctx, "admin", "test-passord", "198.51.100.1").status_code == 302
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = saved
    rows = db.session.scalars(sa.select(LoginAttempt).where(LoginAttempt.address == "203.0.113.7")).all()
    assert [r.succeeded for r in rows] == [False] * 4                   # a refused attempt is not recorded


WORKER = """
import json, sys
from engine import create_app
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "another-process",
                  "WTF_CSRF_ENABLED": False, "SCHEDULER_ENABLED": False})
with app.app_context():
    client = app.test_client()
    print(json.dumps([client.post("/logg-inn", data={"username": "kari.gamleoslo", "password": "feil"}).status_code
                      for _ in range(5)]))
"""


def test_the_count_is_shared_by_every_process(app, ctx, users):
    # Five failures in a separate Python process (its own app, same database) lock the name here too.
    out = subprocess.run([sys.executable, "-c", WORKER, app.config["SQLALCHEMY_DATABASE_URI"]], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [401] * 5
    assert _try(ctx, "kari.gamleoslo", "test-passord").status_code == 429
