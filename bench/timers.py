"""Timer benchmark on PostgreSQL: 100,000 pending timers, a batch falling due, 1 and 2 workers.

For each worker count it measures
* *lateness*: a batch of timers falling due spread over a window (a steady trickle, as in real life);
  lateness = when the worker saved the fired timer − the timer's due time; p50 and p99;
* *throughput*: a batch already due all at once (catch-up after downtime); timers fired per second.

The 100,000 pending timers are projection rows on minimal case rows (they are never loaded; they only
make the due query work against a realistic index).  The batches are real cases: copies of one case
waiting at its deadline, with fresh task ids and the due time written into the engine state too.
Workers are separate processes running ``engine.timer_worker.run`` (what ``flask worker`` runs).

Run alone: ``.venv/bin/python bench/timers.py`` (``TILBOLIG_BENCH_PG`` selects the server).
Before/after in one run: ``TILBOLIG_BENCH_BASELINE=/path/to/other/checkout`` runs that tree's workers
(its ``bench/timers.py --worker``) against the same database, alternating with this tree's, for
``TILBOLIG_BENCH_ROUNDS`` rounds (default 1); the table gives medians and the range of the rounds.
The workers' log lines go to a file (printed at the end), not to the terminal.
"""
from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("TILBOLIG_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/tb_timers_bench")
PENDING = int(os.environ.get("TILBOLIG_BENCH_PENDING", "1000000"))   # the goal is stated at 1M
TRICKLE, TRICKLE_SECONDS = 300, 10.0        # 30 timers/s falling due, steadily
BURST = int(os.environ.get("TILBOLIG_BENCH_BURST", "1000"))
TICK = 1.0
BASELINE = os.environ.get("TILBOLIG_BENCH_BASELINE", "")
ROUNDS = int(os.environ.get("TILBOLIG_BENCH_ROUNDS", "1"))
WORKER_LOG = Path(tempfile.gettempdir()) / f"bench-timers-workers-{os.getpid()}.log"


def _ensure_database(url: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


def _setup(app):
    """Fresh schema, demo users, the fixture process, one template case waiting at its deadline."""
    import sqlalchemy as sa
    import time_machine
    from flask_migrate import upgrade

    from engine import cases
    from engine.access import demo
    from engine.processes import deployments
    from engine.access.rules import actor_for
    from engine.extensions import db
    from engine.store.models import User

    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(revision="heads")
    demo.seed_users("bench")
    fixtures = ROOT / "tests" / "fixtures"
    deployments.deploy({n: (fixtures / n).read_bytes() for n in ("tre_baner.bpmn", "enkel.schema.json")}, None)
    users = {u.username: actor_for(u) for u in db.session.scalars(sa.select(User))}
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=timezone.utc), tick=False):
        case = cases.open_case(users["kari.gamleoslo"], "tre_baner", "gamle-oslo", "bygdoy",
                               {"name": "Mal", "username": "beboer.test"}, {"innflytting": "2026-03-01", "deler": "4"})
        for username in ("kari.gamleoslo", "beboer.test"):
            task = cases.case_tasks(case)[0]
            case = cases.complete_task(users[username], task.id, {})
    return case.id


def _pending(template_id: int, n: int) -> None:
    """``n`` timers due in 30+ days on minimal case rows, inserted in bulk."""
    import sqlalchemy as sa

    from engine.extensions import db
    from engine.store.models import Case, Timer

    tpl = db.session.get(Case, template_id)
    base = {c.name: getattr(tpl, c.name) for c in Case.__table__.columns if c.name not in ("id", "state")}
    far = datetime.now(timezone.utc) + timedelta(days=30)
    chunk = 5000
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        ids = db.session.execute(sa.insert(Case).returning(Case.id),
                                 [{**base, "status": "running", "state": "{}"} for _ in range(size)]).scalars().all()
        db.session.execute(sa.insert(Timer), [
            {"case_id": cid, "task_id": f"00000000-0000-4000-8000-{cid:012d}", "element_id": "plan_frist",
             "name": "14 dager", "kind": "deadline", "deadline_key": "plan",
             "due_at": far + timedelta(seconds=start + i), "created_at": far} for i, cid in enumerate(ids)])
        db.session.commit()


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def fresh_ids(state: str) -> str:
    """The same engine state with every task id replaced, so copies never share task ids."""
    mapping: dict[str, str] = {}
    return _UUID.sub(lambda m: mapping.setdefault(m.group(0), str(uuid.uuid4())), state)


def _snapshot(template_id: int) -> dict:
    """The template case's row, state and timer row, copied before it is parked (never fired)."""
    import sqlalchemy as sa

    from engine.extensions import db
    from engine.store.models import Case, Timer

    tpl = db.session.get(Case, template_id)
    [timer] = db.session.scalars(sa.select(Timer).where(Timer.case_id == template_id)).all()
    from engine.bpmn import state_codec
    text = state_codec.decode_text(tpl.state)
    snap = {"state": text, "old_due": timer.due_at.astimezone(timezone.utc).isoformat(),
            "pos": text.index(timer.task_id),
            "case": {c.name: getattr(tpl, c.name) for c in Case.__table__.columns if c.name not in ("id", "state")},
            "timer": {c.name: getattr(timer, c.name) for c in Timer.__table__.columns if c.name != "id"}}
    assert snap["old_due"] in text, "the engine state should hold the due time as written"
    tpl.status = "suspended"
    db.session.commit()
    return snap


def _batch(snap: dict, dues: list[datetime]) -> list[int]:
    """Real cases (copies of the template) whose deadline timer is due at ``dues``."""
    import sqlalchemy as sa

    from engine.bpmn import state_codec
    from engine.extensions import db
    from engine.store.models import Case, Timer

    pos = snap["pos"]
    ids = []
    for due in dues:
        state = fresh_ids(snap["state"]).replace(snap["old_due"], due.isoformat())
        cid = db.session.execute(sa.insert(Case).values(**snap["case"], state=state_codec.encode_text(state))
                                 .returning(Case.id)).scalar_one()
        db.session.execute(sa.insert(Timer).values(**{**snap["timer"], "case_id": cid, "task_id": state[pos:pos + 36],
                                                     "host_task_id": None, "due_at": due}))
        ids.append(cid)
    db.session.commit()
    return ids


def _start_workers(n: int, seconds: float, tree: Path = ROOT) -> list[subprocess.Popen]:
    """Start ``n`` worker processes of ``tree`` and wait until each is connected and ticking."""
    with WORKER_LOG.open("a") as log:
        procs = [subprocess.Popen([sys.executable, str(tree / "bench" / "timers.py"), "--worker", PG, f"bench-{n}-{i}",
                                   str(seconds)], cwd=tree, stdout=subprocess.PIPE, stderr=log, text=True)
                 for i in range(n)]
    for p in procs:
        while (line := p.stdout.readline()) and line.strip() != "READY":
            pass
    return procs


def _wait(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.communicate()


def _fired(ids: list[int]) -> list[tuple[datetime, datetime]]:
    """(due, fired) of the batch's timers, from the audit trail."""
    import sqlalchemy as sa

    from engine.extensions import db
    from engine.store.models import AuditEvent

    db.session.rollback()
    rows = db.session.execute(sa.select(AuditEvent.at, AuditEvent.data).where(
        AuditEvent.type == "timer.fired", AuditEvent.case_id.in_(ids))).all()
    return [(datetime.fromisoformat(d["due_at"]), at.astimezone(timezone.utc)) for at, d in rows]


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(snap: dict, workers: int, tree: Path = ROOT) -> dict:
    # lateness: a trickle falling due over TRICKLE_SECONDS, starting once the workers are up
    procs = _start_workers(workers, 2 + TRICKLE_SECONDS + 2, tree)
    start = datetime.now(timezone.utc) + timedelta(seconds=2)
    step = TRICKLE_SECONDS / TRICKLE
    ids = _batch(snap, [start + timedelta(seconds=i * step) for i in range(TRICKLE)])
    _wait(procs)
    fired = _fired(ids)
    late = [(f - d).total_seconds() for d, f in fired]
    # throughput: a burst already due (catch-up after downtime); measured first fire → last fire
    ids = _batch(snap, [datetime.now(timezone.utc) - timedelta(hours=24) + timedelta(milliseconds=i)
                        for i in range(BURST)])
    cpu = _children_cpu()
    _wait(_start_workers(workers, -120, tree))
    cpu = _children_cpu() - cpu - workers * _startup_cpu(tree)
    burst = _fired(ids)
    times = sorted(f for _, f in burst)
    span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else float("nan")
    return {"workers": workers, "trickle": len(fired), "p50": _pct(late, 50), "p99": _pct(late, 99),
            "max": max(late), "burst": len(burst), "per_s": (len(burst) - 1) / span if span else float("nan"),
            "tree": "baseline" if tree != ROOT else "this", "cpu_ms": cpu * 1000 / max(1, len(burst))}


def _children_cpu() -> float:
    """CPU seconds (user + system) of every worker process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


_STARTUP: dict[Path, float] = {}


def _startup_cpu(tree: Path) -> float:
    """CPU seconds a worker of ``tree`` spends starting and finding nothing due (subtracted from the burst)."""
    if tree not in _STARTUP:
        before = _children_cpu()
        _wait(_start_workers(1, -120, tree))
        _STARTUP[tree] = _children_cpu() - before
    return _STARTUP[tree]


def worker_main(url: str, name: str, seconds: float) -> None:
    """A worker process ticking like ``flask worker`` for ``seconds`` (≤ 0: until a drain finds nothing)."""
    from engine import create_app
    from engine.timers import worker as timer_worker

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": False, "SECRET_KEY": "bench"})
    until_idle = seconds <= 0        # burst: stop once a drain finds nothing due
    end = time.monotonic() + abs(seconds)
    with app.app_context():
        timer_worker.next_due_in(0.0)      # connect before saying ready
        print("READY", flush=True)
        end = time.monotonic() + abs(seconds)
        while time.monotonic() < end:
            fired = timer_worker.tick(name).timers_fired
            if until_idle and fired == 0:
                return
            if not until_idle:
                time.sleep(timer_worker.next_due_in(min(TICK, max(0.0, end - time.monotonic()))))


def main() -> list[dict]:
    import sqlalchemy as sa

    print(f"\nTimers on PostgreSQL: {PENDING:,} pending timers; trickle {TRICKLE} due over "
          f"{TRICKLE_SECONDS:.0f} s; burst {BURST} due at once")
    try:
        _ensure_database(PG)
    except sa.exc.OperationalError as exc:
        print(f"  skipped: PostgreSQL is not reachable at {PG} ({str(exc).splitlines()[0]})")
        return []
    from engine import create_app
    from engine.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": PG, "SCHEDULER_ENABLED": False, "SECRET_KEY": "bench"})
    rows = []
    with app.app_context():
        template = _setup(app)
        snap = _snapshot(template)
        t0 = time.perf_counter()
        _pending(template, PENDING)
        print(f"  inserted {PENDING:,} pending timers in {time.perf_counter() - t0:.1f} s")
        with db.engine.begin() as conn:    # what autovacuum does soon after a bulk load
            conn.execute(sa.text("ANALYZE cases; ANALYZE timers"))
        trees = [ROOT] + ([Path(BASELINE).resolve()] if BASELINE else [])
        for rnd in range(ROUNDS):
            for workers in (1, 2):
                for tree in (trees if rnd % 2 == 0 else trees[::-1]):     # alternate which tree goes first
                    rows.append(measure(snap, workers, tree))
                    print(f"  round {rnd + 1}, {rows[-1]['tree']}, {workers} worker(s): p50 {rows[-1]['p50'] * 1000:.0f} ms,"
                          f" p99 {rows[-1]['p99'] * 1000:.0f} ms, {rows[-1]['per_s']:.0f} fired/s, worker CPU "
                          f"{rows[-1]['cpu_ms']:.1f} ms per fired timer  (load {_load()})",
                          flush=True)
    summary = _summary(rows)
    print(f"  {'tree':>8} {'workers':>7} {'lateness p50':>13} {'p99':>8} {'max':>8} {'burst fired/s':>14}"
          f" {'CPU ms/timer':>13}"
          + ("   (median of rounds; range)" if ROUNDS > 1 else ""))
    for r in summary:
        print(f"  {r['tree']:>8} {r['workers']:>7} {r['p50'] * 1000:>10.0f} ms {r['p99'] * 1000:>5.0f} ms "
              f"{r['max'] * 1000:>5.0f} ms {r['per_s']:>14.0f} {r['cpu_ms']:>13.1f}   "
              f"({r['trickle']}/{TRICKLE} trickle, {r['burst']}/{BURST} burst fired{r['range']})")
    mine = [r for r in summary if r["tree"] == "this"]
    ok = all(r["p99"] <= 0.1 for r in mine)
    two = [r for r in mine if r["workers"] == 2]
    fast = bool(two) and two[0]["per_s"] >= 500
    print(f"  goal (issue 15) p99 lateness ≤ 100 ms: {'met' if ok else 'NOT met'} at {PENDING:,} pending "
          f"(the goal is at 1,000,000)")
    print(f"  goal (issue 15) ≥ 500 fired/s with 2 workers: {'met' if fast else 'NOT met'}")
    print(f"  worker log: {WORKER_LOG}")
    LAST_ROWS[:] = rows           # every round's own numbers (bench/issue15.py reports their range)
    return summary


#: The rows of the last ``main()``, one per round, tree and worker count.
LAST_ROWS: list[dict] = []


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _summary(rows: list[dict]) -> list[dict]:
    """One row per tree and worker count: medians over the rounds, and the range of p99 and fired/s."""
    out = []
    for tree in ("this", "baseline"):
        for workers in (1, 2):
            group = [r for r in rows if r["tree"] == tree and r["workers"] == workers]
            if not group:
                continue
            med = {k: statistics.median(r[k] for r in group) for k in ("p50", "p99", "max", "per_s", "cpu_ms")}
            span = "" if len(group) < 2 else (
                f"; p99 {min(r['p99'] for r in group) * 1000:.0f}–{max(r['p99'] for r in group) * 1000:.0f} ms, "
                f"{min(r['per_s'] for r in group):.0f}–{max(r['per_s'] for r in group):.0f}/s")
            out.append({"tree": tree, "workers": workers, **med, "trickle": min(r["trickle"] for r in group),
                        "burst": min(r["burst"] for r in group), "range": span})
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        main()
