"""Production serving as the Procfile starts it: gunicorn with two workers, JSON logs, /metrics summed (#15).

A real gunicorn (gunicorn.conf.py) on 127.0.0.1 with an SQLite file: requests spread over two worker
processes, yet /metrics counts all of them (prometheus_client multiprocess mode), and every request
leaves one JSON log line with its X-Request-Id.
"""
from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from engine import logs

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def gunicorn(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/prod.db", "TILBOLIG_SECRET_KEY": "x" * 64,
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "PORT": str(_free_port()), "WEB_CONCURRENCY": "2",
           "FLASK_APP": "engine"}
    env.pop("TILBOLIG_TEST_DATABASE_URL", None)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    log_file = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen([str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "engine:create_app()"],
                            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['PORT']}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/logg-inn", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise AssertionError((tmp_path / "gunicorn.log").read_text())
    yield base, tmp_path / "gunicorn.log"
    proc.terminate()
    proc.wait(timeout=20)
    log_file.close()


def _count(text: str, sample: str) -> float:
    return sum(float(ln.split()[-1]) for ln in text.splitlines() if ln.startswith(sample + " "))


def test_two_gunicorn_workers_one_metrics_total_and_json_access_lines(gunicorn):
    base, log_path = gunicorn

    def get(i: int) -> None:
        r = httpx.get(f"{base}/logg-inn", headers={"X-Request-Id": f"prod-test-{i}", "Connection": "close"})
        assert r.status_code == 200 and r.headers["X-Request-Id"] == f"prod-test-{i}"

    sent, pids = 0, set()
    access: dict[str, dict] = {}
    with ThreadPoolExecutor(8) as pool:
        while len(pids) < 2 and sent < 200:   # concurrent batches until both workers have served some
            list(pool.map(get, range(sent, sent + 40)))
            sent += 40
            # the app logs (and flushes) its access line before the response leaves: no waiting
            lines = [json.loads(ln) for ln in log_path.read_text().splitlines() if ln.startswith("{")]
            access = {ln["request_id"]: ln for ln in lines if ln.get("logger") == "tilbolig.access"}
            pids = {ln["process"] for ln in access.values()}
    assert len(pids) == 2, "both workers should have served some of the requests"
    for i in range(sent):
        line = access[f"prod-test-{i}"]
        assert line["status"] == 200 and line["path"] == "/logg-inn" and line["level"] == "info"
    # every scrape, whichever worker answers it, counts the requests of both
    for _ in range(4):
        text = httpx.get(f"{base}/metrics", headers={"Connection": "close"}).text
        assert _count(text, 'tilbolig_http_request_duration_seconds_count{method="GET",status="2xx"}') >= sent
        assert 'tilbolig_cases{status="running"} 0.0' in text


def test_log_lines_carry_the_bound_ids_and_extra_fields():
    stream = io.StringIO()
    handler = logs.configure("json", "INFO", stream=stream)
    try:
        with logs.bound(job_id="w1:abc"):
            logging.getLogger("tilbolig.test").info("fyrte %s", 3, extra={"case_id": 7})
        logging.getLogger("tilbolig.test").warning("utenfor")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = [json.loads(ln) for ln in stream.getvalue().splitlines()]
    assert first["message"] == "fyrte 3" and first["job_id"] == "w1:abc" and first["case_id"] == 7
    assert first["logger"] == "tilbolig.test" and first["time"].endswith("+00:00")
    assert second["level"] == "warning" and "job_id" not in second


def test_a_request_binds_its_id_for_every_line_logged_while_it_runs(ctx):
    stream = io.StringIO()
    handler = logs.configure("json", "INFO", stream=stream)
    ctx.config["ACCESS_LOG"] = True
    try:
        r = ctx.test_client().get("/logg-inn", headers={"X-Request-Id": "innlogging-1"})
    finally:
        ctx.config["ACCESS_LOG"] = False
        logging.getLogger().removeHandler(handler)
    assert r.status_code == 200
    [line] = [json.loads(ln) for ln in stream.getvalue().splitlines() if '"tilbolig.access"' in ln]
    assert line["request_id"] == "innlogging-1" and line["method"] == "GET" and line["status"] == 200
    assert logs.current() == {}   # unbound after the request
