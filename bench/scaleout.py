"""The real routine over HTTP on PostgreSQL: completion latency, and 1 + 1 against 2 + 2 processes (#15).

Starts the service as the Procfile does — gunicorn (``gunicorn.conf.py``) with W web workers and W
``flask worker`` processes — on a fresh PostgreSQL database with the real ``processes/`` and
``forms/``. Clients open cases of the routine through the API and complete the start phase's tasks
(every form filled with the valid example answers of ``tests/process/examples.py``), each with the
personal token of the lane's demo user.

* latency: one client, web = 2, worker = 1 — median and p99 of ``POST /api/v1/tasks/<id>/complete``;
* scale-out: 8 clients against 1 + 1 and against 2 + 2 processes — completions per second.

    .venv/bin/python -m bench.scaleout        # TILBOLIG_BENCH_PG_SCALEOUT selects the server
"""
from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG = os.environ.get("TILBOLIG_BENCH_PG_SCALEOUT", "postgresql+psycopg://postgres@127.0.0.1:5432/tb_scaleout_bench")
CASES_PER_CLIENT = int(os.environ.get("TILBOLIG_BENCH_SCALEOUT_CASES", "4"))
#: The start phase, in the order a case meets it; the bench stops a case after these.
START_PHASE = ("innflytting_registrert", "samtykke", "livskvalitet", "bydelskontakter", "kartlegging",
               "plan_for_oppholdet", "forste_samarbeidsmote")
USERS = {("bydel", None): "kari.gamleoslo", ("institusjon", None): "ingrid.bygdoy", ("beboer", None): "beboer.test",
         ("bydel", "leder"): "leder.gamleoslo", ("institusjon", "leder"): "leder.bygdoy"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare() -> dict[str, str]:
    """Fresh schema, migrations, demo users, the routine deployed; a token per demo user."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from bench.timers import _ensure_database
    from engine import create_app
    from engine.access import demo
    from engine.extensions import db
    from engine.processes import deployments
    from engine.store.models import User
    from engine.web.auth import create_token

    _ensure_database(PG)
    app = create_app({"SQLALCHEMY_DATABASE_URI": PG, "TESTING": True, "SCHEDULER_ENABLED": False})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        demo.seed_users("bench")
        deployments.deploy(deployments.read_paths([str(ROOT / "processes"), str(ROOT / "forms")]), None)
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        tokens = {name: create_token(users[name], "bench") for name in set(USERS.values())}
        db.engine.dispose()
    return tokens


class Service:
    """gunicorn with ``web`` workers and ``workers`` ``flask worker`` processes, as the Procfile starts them."""

    def __init__(self, web: int, workers: int) -> None:
        bin_dir = Path(sys.executable).parent
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": PG, "TILBOLIG_SECRET_KEY": "bench" * 8, "FLASK_APP": "engine",
               "WEB_CONCURRENCY": str(web), "PORT": str(self.port), "TILBOLIG_LOG_LEVEL": "WARNING",
               "TILBOLIG_ACCESS_LOG": "false", "PROMETHEUS_MULTIPROC_DIR": f"/tmp/tb-bench-prom-{self.port}"}
        os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
        self.log = open(f"/tmp/tb-bench-scaleout-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        quiet = {"stdout": self.log, "stderr": subprocess.STDOUT}
        self.procs = [subprocess.Popen([str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "engine:create_app()"],
                                       cwd=ROOT, env=env, **quiet)]
        self.procs += [subprocess.Popen([str(bin_dir / "flask"), "worker", "--name", f"bench-{i}"], cwd=ROOT,
                                        env=env, **quiet) for i in range(workers)]
        self.base = f"http://127.0.0.1:{self.port}"
        import httpx
        for _ in range(600):
            try:
                if httpx.get(f"{self.base}/logg-inn", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the service did not start")

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=30)
        self.log.close()


def _walk(base: str, tokens: dict[str, str], cases: int, latencies: list[float], name: str) -> int:
    """Open ``cases`` cases and complete their start phase; returns the number of completions."""
    import httpx

    from engine import clock
    from tests.process.examples import example, henvisning

    today = clock.today_oslo().isoformat()
    #: a case registered today: its deadlines lie ahead, as for a new resident (no escalations)
    dates = {"innflytting_registrert": {"innflytting": today}, "plan_for_oppholdet": {"plan_startet": today},
             "forste_samarbeidsmote": {"motedato": today}}

    def client(user: str) -> httpx.Client:
        return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[user]}"}, timeout=60)

    clients = {user: client(user) for user in set(USERS.values())}
    done = 0
    for i in range(cases):
        r = clients["kari.gamleoslo"].post("/api/v1/cases", json={
            "process_key": "institusjon_til_bolig", "bydel": "gamle-oslo", "institution": "bygdoy",
            "resident": {"name": f"{name} {i}", "username": "beboer.test"}, "data": henvisning(today)})
        assert r.status_code == 201, r.text
        tasks = r.json()["tasks"]
        for element in START_PHASE:
            task = next((t for t in tasks if t["element_id"] == element), None)
            if task is None:
                tasks = clients["kari.gamleoslo"].get(f"/api/v1/cases/{r.json()['id']}").json()["tasks"]
                task = next(t for t in tasks if t["element_id"] == element)
            user = USERS[(task["lane"], task.get("role"))]
            form = (task["form"] or "").rsplit("/", 1)[-1]
            t0 = time.perf_counter()
            answer = clients[user].post(f"/api/v1/tasks/{task['id']}/complete",
                                        json={"data": example(form, **dates.get(element, {})) if form else {}})
            latencies.append(time.perf_counter() - t0)
            assert answer.status_code == 200, answer.text
            tasks = answer.json().get("tasks", tasks)
            done += 1
    for c in clients.values():
        c.close()
    return done


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def _throughput(tokens: dict[str, str], web: int, workers: int, clients: int) -> float:
    service = Service(web, workers)
    try:
        counts: list[int] = []
        lat: list[float] = []
        threads = [threading.Thread(target=lambda i=i: counts.append(
            _walk(service.base, tokens, CASES_PER_CLIENT, lat, f"Skala {web}+{workers} {i}"))) for i in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(counts) / (time.perf_counter() - t0)
    finally:
        service.stop()


def main() -> dict:
    import sqlalchemy as sa

    print(f"\nThe real routine over HTTP on PostgreSQL (start phase: {len(START_PHASE)} completions per case)")
    try:
        tokens = _prepare()
    except sa.exc.OperationalError as exc:
        print(f"  skipped: PostgreSQL is not reachable ({str(exc).splitlines()[0]})")
        return {}
    service = Service(2, 1)
    try:
        lat: list[float] = []
        _walk(service.base, tokens, 2, lat, "Varm")            # warm-up: imports, parsed specs
        lat.clear()
        _walk(service.base, tokens, 8, lat, "Ventetid")
    finally:
        service.stop()
    med, p99 = statistics.median(lat) * 1000, _pct(lat, 0.99) * 1000
    print(f"  complete one task (POST /api/v1/tasks/<id>/complete), gunicorn -w 2, n={len(lat)}: "
          f"median {med:.1f} ms, p99 {p99:.1f} ms   goal median ≤ 5, p99 ≤ 20: "
          f"{'met' if med <= 5 and p99 <= 20 else 'NOT met'}")
    one = _throughput(tokens, 1, 1, 8)
    two = _throughput(tokens, 2, 2, 8)
    print(f"  8 clients, 1 web + 1 worker: {one:.1f} completions/s; 2 web + 2 workers: {two:.1f} completions/s "
          f"= {two / one:.2f}×   goal ≥ 1.7×: {'met' if two / one >= 1.7 else 'NOT met'} "
          f"({os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f})")
    return {"median_ms": med, "p99_ms": p99, "one": one, "two": two}


if __name__ == "__main__":
    main()
