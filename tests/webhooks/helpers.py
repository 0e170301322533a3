"""Test helpers for the webhook edge: a real HTTP receiver on 127.0.0.1, deploying the fixture,
opening cases, signing inbound requests."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from webhooks import signing

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"   # 24 bytes of base64, for tests only


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server in a thread that records every POST and answers ``status`` (or a queue of them)."""

    status: int = 204
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                code = receiver.statuses.pop(0) if receiver.statuses else receiver.status
                self.send_response(code)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def types(self) -> list[str]:
        return [r.json["type"] for r in self.received]


def deploy_fixture():
    from engine.processes import deployments
    files = {"venter_pa_bolig.bpmn": (FIXTURES / "venter_pa_bolig.bpmn").read_bytes(),
             "enkel.schema.json": (FIXTURES.parent.parent / "fixtures" / "enkel.schema.json").read_bytes()}
    return deployments.deploy(files, None).versions[0]


def open_case(api, external_ref: str | None = None, username: str = "kari.gamleoslo") -> dict:
    body = {"process_key": "venter_pa_bolig", "bydel": "gamle-oslo", "institution": "bygdoy",
            "resident": {"name": "Tore Testbeboer"}, "data": {}}
    if external_ref:
        body["external_ref"] = external_ref
    r = api(username).post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.json
    return r.json


def complete(api, case: dict, element_id: str, username: str = "kari.gamleoslo") -> dict:
    task = next(t for t in case["tasks"] if t["element_id"] == element_id)
    r = api(username).post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}})
    assert r.status_code == 200, r.json
    return r.json


def signed(body: dict | bytes, msg_id: str, at: datetime, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = signing.sign_headers(secret, msg_id, at, raw.decode())
    headers["content-type"] = "application/json"
    return raw, headers
