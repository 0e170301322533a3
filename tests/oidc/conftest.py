"""A real OpenID Connect provider for the sign-in tests: ``provider.mjs`` (the npm package
``oidc-provider``) run by Node on 127.0.0.1, registered with the live test server's callback URLs.

``oidc`` configures the session app for it (staff and ID-porten kinds) and undoes that after the
test; ``sign_in_over_http`` drives a whole flow with plain HTTP, so a test can tamper with one step.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "provider.mjs"
STAFF_SECRET, RESIDENT_SECRET = "ansatt-hemmelighet~/+", "idporten-hemmelighet"
PID = "01017012345"

ACCOUNTS = {
    "kari.idp": {"claims": {"name": "Kari Entra (Gamle Oslo)", "preferred_username": "kari.idp",
                            "tilbolig_org": "grp-gamle-oslo", "roles": ["Tilbolig.Saksbehandler"]}},
    "leder.idp": {"claims": {"name": "Leder Keycloak", "preferred_username": "leder.idp",
                             "tilbolig_org": ["grp-gamle-oslo"], "roles": "Tilbolig.Saksbehandler Tilbolig.Leder"}},
    "admin": {"claims": {"name": "Noen som heter admin", "preferred_username": "admin",
                         "tilbolig_org": "grp-gamle-oslo", "roles": ["Tilbolig.Saksbehandler"]}},
    "uten.rolle": {"claims": {"name": "Uten Rolle", "preferred_username": "uten.rolle",
                              "tilbolig_org": "grp-gamle-oslo", "roles": ["Noe.Annet"]}},
    "tore": {"acr": "idporten-loa-high", "claims": {"pid": PID, "name": "Tore Testbeboer"}},
    "tore.lav": {"acr": "idporten-loa-substantial", "claims": {"pid": PID, "name": "Tore Testbeboer"}},
    "ukjent.beboer": {"acr": "idporten-loa-high", "claims": {"pid": "02029912345"}},
}


def _start(live_server: str) -> tuple[subprocess.Popen, str]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("Node or node_modules/oidc-provider missing: run `make assets` (npm ci)")
    clients = [
        {"client_id": "tilbolig-ansatt", "client_secret": STAFF_SECRET,
         "redirect_uris": [f"{live_server}/logg-inn/ansatt/svar"]},
        {"client_id": "tilbolig-idporten", "client_secret": RESIDENT_SECRET,
         "redirect_uris": [f"{live_server}/logg-inn/idporten/svar"]},
    ]
    env = {**os.environ, "OIDC_TEST_CONFIG": json.dumps({"clients": clients, "accounts": ACCOUNTS})}
    proc = subprocess.Popen([node, str(SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError("the test OIDC provider did not start")
    return proc, json.loads(line)["issuer"]


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    """Issuer URL of a running provider (one per test session)."""
    proc, issuer = _start(live_server)
    yield issuer
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def other_oidc_provider(live_server):
    """A second, independent provider with the same client registrations (mix-up tests)."""
    proc, issuer = _start(live_server)
    yield issuer
    proc.terminate()
    proc.wait(timeout=10)


def oidc_settings(issuer: str) -> dict:
    return {
        "OIDC_STAFF_ISSUER": issuer, "OIDC_STAFF_CLIENT_ID": "tilbolig-ansatt", "OIDC_STAFF_CLIENT_SECRET": STAFF_SECRET,
        "OIDC_STAFF_ORG_MAP": {"grp-gamle-oslo": "gamle-oslo"},
        "OIDC_STAFF_ROLE_MAP": {"Tilbolig.Saksbehandler": "saksbehandler", "Tilbolig.Leder": "leder"},
        "OIDC_RESIDENT_ISSUER": issuer, "OIDC_RESIDENT_CLIENT_ID": "tilbolig-idporten",
        "OIDC_RESIDENT_CLIENT_SECRET": RESIDENT_SECRET, "OIDC_RESIDENT_TOKEN_AUTH": "client_secret_post",
    }


@pytest.fixture()
def oidc(app, oidc_provider, ctx, users):
    """The app signed up with the test provider for both kinds; ``oidc(**overrides)`` changes settings."""
    from engine.web import oidc as oidc_mod
    saved = {k: app.config.get(k) for k in oidc_settings("")}
    app.config.update(oidc_settings(oidc_provider))
    oidc_mod._cache.clear()

    def override(**settings):
        for key in settings:
            saved.setdefault(key, app.config.get(key))
        app.config.update(settings)
        oidc_mod._cache.clear()
    override.issuer = oidc_provider
    yield override
    app.config.update(saved)
    oidc_mod._cache.clear()


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def sign_in_over_http(live_server: str, kind: str, login: str,
                      tamper_request: Callable[[str], str] | None = None,
                      tamper_response: Callable[[str], str] | None = None,
                      client: httpx.Client | None = None) -> tuple[httpx.Response, httpx.Client, str]:
    """One whole sign-in as a browser would do it; returns our app's answer to the callback, the
    client (its cookies are the browser's) and the callback URL used."""
    client = client or httpx.Client(follow_redirects=False, timeout=15)
    r = client.get(f"{live_server}/logg-inn/{kind}")
    assert r.status_code == 302, r.text[:300]
    url = r.headers["location"]
    if tamper_request:
        url = tamper_request(url)
    callback_prefix = f"{live_server}/logg-inn/{kind}/svar"
    for _ in range(10):
        r = client.get(url)
        if r.status_code in (302, 303):
            url = str(r.url.join(r.headers["location"]))
            if url.startswith(callback_prefix):
                break
            continue
        assert r.status_code == 200 and "/interaction/" in str(r.url), r.text[:500]
        r = client.post(str(r.url), data={"login": login})
        assert r.status_code in (302, 303), r.text[:500]
        url = str(r.url.join(r.headers["location"]))
    assert url.startswith(callback_prefix), url
    if tamper_response:
        url = tamper_response(url)
    return client.get(url), client, url


@pytest.fixture()
def refusals(caplog):
    """The reasons the app logged for refused sign-ins in this test (it shows people less)."""
    import logging
    caplog.set_level(logging.INFO, logger="tilbolig.security")
    return lambda: [r.getMessage() for r in caplog.records
                    if r.name == "tilbolig.security" and "refused" in r.getMessage()]
