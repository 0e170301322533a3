"""The API is token-only and every page is locked down (#13): no session cookie counts on /api/,
every POST outside the API needs its CSRF token, security headers on every response, and no
template has inline script or style for the CSP to block."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.extensions import db
from engine.store.models import ProcessVersion
from tests.conftest import FIXTURES

TEMPLATES = Path(__file__).resolve().parents[2] / "engine" / "web" / "templates"
WEB = TEMPLATES.parent


def test_the_api_ignores_the_session_cookie_of_a_signed_in_browser(browser, users):
    owner = browser("prosesseier")
    assert owner.get("/admin/versions").status_code == 200       # signed in: the cookie works on pages
    data = {"files": (io.BytesIO((FIXTURES / "tre_baner.bpmn").read_bytes()), "tre_baner.bpmn")}
    r = owner.client.post("/api/v1/deployments", data=data, content_type="multipart/form-data")
    assert r.status_code == 401 and r.json["code"] == "unauthenticated"
    assert owner.client.get("/api/v1/cases").status_code == 401
    assert owner.client.get("/api/v1/process-versions").status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0


def test_every_post_route_outside_the_api_needs_its_csrf_token(app, browser, users):
    admin = browser("admin")
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(("/api/", "/webhooks/")):
            continue
        url = re.sub(r"<(?:int:)?\w+>", "1", rule.rule)
        r = admin.post(url, {"reason": "x"}, csrf=False)
        assert r.status_code == 400 and "Skjemaet var utløpt" in r.get_data(as_text=True), (rule.rule, r.status_code)
        checked.append(rule.rule)
    assert {"/logg-inn", "/logg-ut", "/admin/versions", "/saker/ny"} <= set(checked)
    assert admin.get("/admin/stuck").status_code == 200      # still signed in: refused for the token only


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", text, re.S | re.I):
            assert re.search(r"name=\"csrf_token\" value=\"{{ (csrf_token\(\)|token) }}\"", form), f"{path.name}: {form[:80]}"


@pytest.mark.parametrize("pattern, what", [
    (r"<script(?![^>]*\bsrc=)[^>]*>", "inline <script>"),
    (r"\son[a-z]+\s*=", "an on…= handler"),
    (r"\sstyle\s*=", "a style= attribute"),
    (r"<style", "a <style> element"),
    (r"javascript:", "a javascript: URL"),
])
def test_no_template_or_html_builder_has_what_the_csp_blocks(pattern, what):
    sources = list(TEMPLATES.rglob("*.html")) + list(WEB.glob("*.py"))
    offenders = [p.name for p in sources if re.search(pattern, p.read_text(), re.I)
                 and not (p.suffix == ".py" and p.name == "headers.py")]
    assert offenders == [], f"{what} in {offenders}"


EXPECTED = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}


def test_security_headers_on_every_kind_of_response(ctx, browser, api, users):
    kari = browser("kari.gamleoslo")
    responses = {"login page": browser(None).get("/logg-inn"), "page": kari.get("/innboks"),
                 "html 404": kari.get("/finnes-ikke"), "redirect": ctx.test_client().get("/innboks"),
                 "static": ctx.test_client().get("/static/app.css"),
                 "api": api("kari.gamleoslo").get("/api/v1/cases"), "api 401": ctx.test_client().get("/api/v1/cases"),
                 "openapi": ctx.test_client().get("/api/v1/openapi.json")}
    for name, r in responses.items():
        for header, value in EXPECTED.items():
            assert r.headers.get(header) == value, (name, header)
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp and "unsafe-inline" not in csp, name
        assert "default-src 'self'" in csp and "object-src 'none'" in csp, name
