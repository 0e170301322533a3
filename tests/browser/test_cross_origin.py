"""Another site cannot drive the service (#13, «Done when»): a page served from a second local HTTP
server, opened in Chromium by a signed-in process owner and caseworker, tries to deploy a process
(``POST /api/v1/deployments`` multipart, as in the security pass), open a case and complete a task
through the API, upload a diagram, claim a task and open a case through the web forms, and frame
the inbox.  Nothing changes: the API takes bearer tokens only, the forms need their CSRF token, and
``frame-ancestors 'none'`` keeps the page out of frames.

``127.0.0.1`` on another port is another *origin* but the same *site*, so SameSite=Lax still sends
the cookie: that case proves the token-only API and CSRF hold by themselves.  ``localhost`` is
another site as well.
"""
from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from engine.extensions import db
from engine.store.models import Case, OpenTask, ProcessVersion
from tests.browser.fixtures_pw import login
from tests.web.conftest import HERE as WEB_FIXTURES
from tests.web.conftest import open_case

pytestmark = pytest.mark.browser

ATTACK = """<!doctype html><html><head><meta charset="utf-8"><title>Vinn en tur til Syden</title></head><body>
<h1>Gratulerer!</h1>
<iframe id="ramme" src="{target}/innboks" width="400" height="200"></iframe>
<iframe name="sluk"></iframe>
<form id="ta" method="post" action="{target}/oppgaver/{task}/ta" target="sluk"><input name="neste" value="/innboks"></form>
<script>
const target = {target_js}, upload = {files_js};
const send = (path, body, headers) => fetch(target + path, {{method: 'POST', body, headers, credentials: 'include',
  mode: 'no-cors'}}).catch(() => null);
(async () => {{
  const files = () => {{ const f = new FormData();
    for (const [name, text] of Object.entries(upload)) f.append('files', new Blob([text]), name);
    return f; }};
  await send('/api/v1/deployments', files());
  await send('/admin/versions', files());
  await send('/api/v1/cases', JSON.stringify({{process_key: 'tre_baner', bydel: 'gamle-oslo', institution: 'bygdoy',
    resident: {{name: 'Angrep'}}, data: {{innflytting: '2026-03-01', deler: '4'}}}}), {{'Content-Type': 'text/plain'}});
  await send('/api/v1/tasks/{task}/complete', JSON.stringify({{data: {{}}}}), {{'Content-Type': 'text/plain'}});
  const ny = new URLSearchParams({{_prosess: 'tre_baner', _beboer_navn: 'Angrep', _institusjon: 'bygdoy',
    innflytting: '2026-03-01', deler: '4', _handling: 'send'}});
  await send('/saker/ny', ny, {{'Content-Type': 'application/x-www-form-urlencoded'}});
  document.querySelector('iframe[name=sluk]').addEventListener('load', () => {{ document.title = 'ferdig'; }});
  document.getElementById('ta').submit();
}})();
</script></body></html>"""


@pytest.fixture()
def attacker():
    """A second HTTP server on another port; ``attacker.page = html`` sets what it serves."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = server.page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.page = ""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _counts() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Case)))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_page_on_another_origin_cannot_deploy_or_change_anything(chromium, live_server, attacker, ctx, users,
                                                                   tre_baner, clock_at, api, host):
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    task = db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case.id))
    # A diagram the process owner may deploy (no scripts), under a new process key.
    files = {p.name: p.read_text() for p in WEB_FIXTURES.iterdir()}
    files["web_rik.bpmn"] = files["web_rik.bpmn"].replace('id="web_rik"', 'id="angrep"')
    attacker.page = ATTACK.format(target=live_server, target_js=json.dumps(live_server), task=task.id,
                                  files_js=json.dumps(files))
    before = _counts()
    answers: dict[str, list[int]] = {}
    for victim in ("prosesseier", "kari.gamleoslo"):
        context = chromium.new_context(base_url=live_server, locale="nb-NO")
        context.set_default_timeout(15_000)
        page = context.new_page()
        login(page, victim)
        assert "/logg-inn" not in page.url
        page.on("response", lambda r, v=victim: answers.setdefault(f"{v} {r.request.method} "
                                                                   f"{r.url.replace(live_server, '')}", []).append(r.status))
        page.goto(f"http://{host}:{attacker.server_port}/")
        page.wait_for_function("document.title === 'ferdig'")
        frame = page.frame_locator("#ramme")
        assert frame.get_by_text("Innboks").count() == 0          # the signed-in page was not framed
        page.goto(f"{live_server}/saker")                           # and the victim is still signed in
        assert "/logg-inn" not in page.url
        context.close()
    assert _counts() == before
    db.session.expire_all()
    assert db.session.get(OpenTask, task.id).claimed_by_id is None
    for victim in ("prosesseier", "kari.gamleoslo"):
        assert answers[f"{victim} POST /api/v1/deployments"] == [401]
        assert answers[f"{victim} POST /api/v1/cases"] == [401]
        assert answers[f"{victim} POST /api/v1/tasks/{task.id}/complete"] == [401]
        assert answers[f"{victim} POST /admin/versions"] == [400]
        assert answers[f"{victim} POST /saker/ny"] == [400]
        assert answers[f"{victim} POST /oppgaver/{task.id}/ta"] == [400]
    # The same upload with the owner's token does deploy: what stopped it was the missing token.
    owner = api("prosesseier")
    upload = {"files": [(io.BytesIO(text.encode()), name) for name, text in files.items()]}
    r = owner.client.post("/api/v1/deployments", data=upload, content_type="multipart/form-data",
                          headers={"Authorization": f"Bearer {owner.token}"})
    assert r.status_code == 201, r.get_data(as_text=True)[:300]
