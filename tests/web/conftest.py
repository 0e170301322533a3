"""Web fixtures: a logged-in browser-like test client (session cookie + CSRF token from the page)
and cases on the fixture processes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "fixtures"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that logs in through the login form and posts forms with their CSRF token."""

    def __init__(self, client) -> None:
        self.client = client
        self.token: str | None = None

    @staticmethod
    def _fresh_g() -> None:
        # The tests hold an app context open, so requests share ``g``; Flask-WTF caches the token
        # there.  A real server has one context per request: imitate that.
        from flask import g
        g.pop("csrf_token", None)

    def get(self, url, **kw):
        self._fresh_g()
        r = self.client.get(url, **kw)
        text = r.get_data(as_text=True)
        if 'name="csrf_token"' in text:
            self.token = csrf_of(text)
        return r

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {}) if not hasattr(data, "getlist") else data.copy()
        if csrf:
            if self.token is None:
                self.get("/logg-inn")
            if hasattr(data, "add"):
                data.add("csrf_token", self.token)
            else:
                data["csrf_token"] = self.token
        self._fresh_g()
        return self.client.post(url, data=data, **kw)

    def login(self, username: str, password: str = "test-passord"):
        self.get("/logg-inn")
        r = self.post("/logg-inn", {"username": username, "password": password})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        self.get("/innboks")
        return self


@pytest.fixture()
def browser(ctx, users):
    """``browser('kari.gamleoslo')``: a logged-in session; ``browser(None)``: anonymous."""
    def make(username: str | None = None) -> Browser:
        b = Browser(ctx.test_client())
        return b.login(username) if username else b
    return make


@pytest.fixture()
def web_rik(ctx, users):
    from engine.processes import deployments
    files = {p.name: p.read_bytes() for p in HERE.iterdir() if p.suffix in (".bpmn", ".json")}
    return deployments.deploy(files, None).versions[0]


def open_case(process_key: str, username: str = "kari.gamleoslo", resident: str | None = "beboer.test",
              data: dict | None = None, institution: str = "bygdoy"):
    from engine import cases
    from engine.access import rules as access
    from engine.extensions import db
    from engine.store.models import User
    import sqlalchemy as sa
    user = db.session.scalar(sa.select(User).where(User.username == username))
    return cases.open_case(access.actor_for(user), process_key, user.organisation_id, institution,
                           {"name": "Tore Testbeboer", "username": resident}, data or {})
