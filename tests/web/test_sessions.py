"""Sessions that end (#13): logout, an administrator's revocation, the idle timeout and the maximum
age end a session on the server, so the old cookie is worth nothing; a cookie forged with the old
default secret gets nothing; the cookie is SameSite=Lax, HttpOnly, Secure on HTTPS (also behind a
proxy) with HSTS; the app will not start without a real secret outside debug/tests."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Config, Flask
from flask.sessions import SecureCookieSessionInterface

from engine import create_app
from engine.extensions import db
from engine.store.auth import UserSession
from engine.store.models import AuditEvent


def _cookie(b) -> str:
    return b.client.get_cookie("session").value


def _replay(ctx, cookie: str, path: str = "/innboks"):
    """The same cookie from another client: what a copied or stolen cookie would get."""
    client = ctx.test_client()
    client.set_cookie("session", cookie)
    return client.get(path)


def test_logout_ends_the_session_so_the_old_cookie_is_worthless(ctx, browser):
    kari = browser("kari.gamleoslo")
    old = _cookie(kari)
    assert _replay(ctx, old).status_code == 200
    kari.post("/logg-ut")
    r = _replay(ctx, old)
    assert r.status_code == 302 and "/logg-inn" in r.headers["Location"]
    row = db.session.scalar(sa.select(UserSession))
    assert row.end_reason == "logout" and row.ended_at is not None and row.method == "password"


def test_a_new_login_gets_a_new_session_id(ctx, browser):
    b = browser(None)
    b.get("/logg-inn")
    before = _cookie(b)
    b.login("kari.gamleoslo")
    assert _cookie(b) != before and _replay(ctx, before).status_code == 302


def test_an_administrator_revokes_a_user_and_every_session_of_theirs_ends(ctx, browser, api, users):
    kari, kari2 = browser("kari.gamleoslo"), browser("kari.gamleoslo")
    other = browser("ola.grunerlokka")
    uid = users["kari.gamleoslo"].id
    assert api("kari.gamleoslo").post(f"/api/v1/admin/users/{uid}/revoke", json={"reason": "x"}).status_code == 403
    r = api("admin").post(f"/api/v1/admin/users/{uid}/revoke", json={})   # the published schema requires a reason
    assert r.status_code == 422 and "reason" in r.json["details"]
    r = api("admin").post(f"/api/v1/admin/users/{uid}/revoke", json={"reason": "Mistet PC-en"})
    assert r.status_code == 200 and r.json == {"user_id": uid, "sessions_ended": 2, "tokens_revoked": 0, "active": True}
    assert kari.get("/innboks").status_code == 302 and kari2.get("/innboks").status_code == 302
    assert other.get("/innboks").status_code == 200
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "user.revoked"))
    assert event.actor_id == users["admin"].id and event.data["reason"] == "Mistet PC-en"
    assert browser("kari.gamleoslo").get("/innboks").status_code == 200     # may sign in again


def test_revoke_with_deactivate_locks_the_account_and_its_tokens(ctx, browser, api, users):
    kari = browser("kari.gamleoslo")
    kari_api = api("kari.gamleoslo")
    assert kari_api.get("/api/v1/cases").status_code == 200
    r = api("admin").post(f"/api/v1/admin/users/{users['kari.gamleoslo'].id}/revoke",
                          json={"reason": "Sluttet", "deactivate": True})
    assert r.json["tokens_revoked"] == 1 and r.json["active"] is False
    assert kari.get("/innboks").status_code == 302 and kari_api.get("/api/v1/cases").status_code == 401
    again = browser(None)
    again.get("/logg-inn")
    assert again.post("/logg-inn", {"username": "kari.gamleoslo", "password": "test-passord"}).status_code == 401


def test_revoke_from_the_command_line(ctx, browser):
    kari = browser("kari.gamleoslo")
    result = ctx.test_cli_runner().invoke(args=["users", "revoke", "kari.gamleoslo", "--reason", "Test"])
    assert result.exit_code == 0 and "1 økter avsluttet" in result.output
    assert kari.get("/innboks").status_code == 302


def test_idle_timeout_ends_the_session_after_30_minutes_without_activity(ctx, browser, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    kari = browser("kari.gamleoslo")
    traveller.shift(timedelta(minutes=29))
    assert kari.get("/innboks").status_code == 200           # activity: the 30 minutes start again
    traveller.shift(timedelta(minutes=29))
    assert kari.get("/innboks").status_code == 200
    traveller.shift(timedelta(minutes=31))
    r = kari.get("/innboks")
    assert r.status_code == 302 and "/logg-inn" in r.headers["Location"]
    page = kari.get("/logg-inn").get_data(as_text=True)
    assert "Du ble logget ut fordi du ikke hadde vært aktiv på 30 minutter." in page
    assert db.session.scalar(sa.select(UserSession)).end_reason == "idle"


def test_idle_timeout_and_maximum_age_are_configurable(app, ctx, browser, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    saved = app.config["SESSION_IDLE_MINUTES"], app.config["SESSION_MAX_HOURS"]
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    try:
        kari = browser("kari.gamleoslo")
        traveller.shift(timedelta(minutes=6))
        assert kari.get("/innboks").status_code == 302
        kari = browser("kari.gamleoslo")
        for _ in range(15):                                    # active every 4 minutes for an hour
            traveller.shift(timedelta(minutes=4))
            assert kari.get("/innboks").status_code == 200
        traveller.shift(timedelta(minutes=4))
        assert kari.get("/innboks").status_code == 302
        reasons = db.session.scalars(sa.select(UserSession.end_reason).order_by(UserSession.id)).all()
        assert reasons == ["idle", "max_age"]
    finally:
        app.config.update(SESSION_IDLE_MINUTES=saved[0], SESSION_MAX_HOURS=saved[1])


def _forge(secret: str, payload: dict) -> str:
    forger = Flask("forger")
    forger.secret_key = secret
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(payload)


@pytest.mark.parametrize("secret", ["dev-only-change-me", "test"])
def test_a_forged_session_cookie_gets_nothing(ctx, users, secret):
    # The old default secret, and even the real one: a cookie naming a user is not a session.
    admin = users["admin"].id
    for payload in ({"user_id": admin}, {"user_id": admin, "sid": "gjettet"}, {"sid": ""}):
        cookie = _forge(secret, payload)
        for path in ("/admin/stuck", "/saker", "/innboks"):
            r = _replay(ctx, cookie, path)
            assert r.status_code == 302 and "/logg-inn" in r.headers["Location"], (payload, path)
        assert _replay(ctx, cookie, "/api/v1/cases").status_code == 401
        assert _replay(ctx, cookie, "/api/v1/admin/stuck").status_code == 401


def test_the_session_cookie_is_samesite_lax_httponly_and_secure_only_over_https(ctx, users):
    from tests.web.conftest import Browser
    plain = Browser(ctx.test_client())
    plain.get("/logg-inn")
    r = plain.post("/logg-inn", {"username": "kari.gamleoslo", "password": "test-passord"})
    cookie = r.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    assert "Strict-Transport-Security" not in r.headers
    secure = Browser(ctx.test_client())
    r = secure.get("/logg-inn", base_url="https://localhost")
    assert "Secure" in r.headers["Set-Cookie"] and "SameSite=Lax" in r.headers["Set-Cookie"]
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # Without a trusted proxy configured, X-Forwarded-Proto is not believed.
    r = Browser(ctx.test_client()).get("/logg-inn", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in r.headers["Set-Cookie"] and "Strict-Transport-Security" not in r.headers


def test_behind_a_trusted_proxy_https_is_recognised(app):
    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "SECRET_KEY": "proxy-test", "PROXY_FIX_HOPS": 1, "SCHEDULER_ENABLED": False})
    with proxied.app_context():
        r = proxied.test_client().get("/logg-inn", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"})
        assert "Secure" in r.headers["Set-Cookie"] and "Strict-Transport-Security" in r.headers
        db.session.remove()


@pytest.mark.parametrize("secret", [None, "", "dev-only-change-me"])
def test_the_app_refuses_to_start_without_a_real_secret_outside_debug_and_tests(secret, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="TILBOLIG_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": secret})


def test_in_tests_the_old_default_is_replaced_by_a_random_key():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "dev-only-change-me"})
    assert app.config["SECRET_KEY"] not in ("dev-only-change-me", None) and len(app.config["SECRET_KEY"]) == 64


def _settings(instance: Path) -> Config:
    from engine import config
    loaded = Config(str(instance))
    config.load(loaded, str(instance))
    return loaded


def test_the_secret_comes_from_the_environment_or_the_instance_file(tmp_path, monkeypatch):
    for name in ("TILBOLIG_SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert _settings(tmp_path)["SECRET_KEY"] is None
    (tmp_path / "secret_key").write_text("a" * 64 + "\n")          # what `make secret` writes
    assert _settings(tmp_path)["SECRET_KEY"] == "a" * 64
    monkeypatch.setenv("TILBOLIG_SECRET_KEY", "fra-miljøet")
    monkeypatch.setenv("TILBOLIG_SESSION_IDLE_MINUTES", "45")
    monkeypatch.setenv("TILBOLIG_PASSWORD_LOGIN_ENABLED", "false")
    monkeypatch.setenv("TILBOLIG_OIDC_STAFF_ROLE_MAP", '{"Tilbolig.Leder": "leder"}')
    settings = _settings(tmp_path)
    assert settings["SECRET_KEY"] == "fra-miljøet" and settings["SESSION_IDLE_MINUTES"] == 45
    assert settings["PASSWORD_LOGIN_ENABLED"] is False and settings["OIDC_STAFF_ROLE_MAP"] == {"Tilbolig.Leder": "leder"}
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_numeric_secret_from_the_environment_stays_a_string(monkeypatch):
    # from_prefixed_env parses JSON, so TILBOLIG_SECRET_KEY=123… would arrive as a number.
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("TILBOLIG_SECRET_KEY", "12345678901234567890123456789012")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "12345678901234567890123456789012"
