"""``make bench-15``: every row of issue #15's table, ROUNDS times in one run, median (range) with its goal.

Each round runs the benchmarks that measure the issue's rows, in the same process tree and against
the same databases, one after the other (never two at once: they would measure each other):

* ``bench.engine_bench`` — raw SpiffWorkflow, the naive «whole workflow → SQLite every step» build,
  one bare durable commit and the service on SQLite ``synchronous=FULL``, same workload;
* ``bench.concurrency`` — 1 and 8 client processes on SQLite and PostgreSQL against raw;
* ``bench.scaleout`` — the real routine over HTTP (gunicorn + ``flask worker``): one completion's
  median and p99, and 8 clients against 1 + 1 and 2 + 2 processes;
* ``bench.inbox`` — the inbox on PostgreSQL at 10k and 100k cases;
* ``bench.timers`` — timers on PostgreSQL at 1,000,000 pending, 1 and 2 workers (loaded once,
  then ROUNDS rounds on the same rows);
* ``bench.storage`` — bytes per case of the real routine, running and finished (deterministic:
  measured once, not per round).

Each benchmark prints its own table as it goes; the summary at the end gives, per row, the median
and range over the rounds and whether the median meets the goal.

    .venv/bin/python -m bench.issue15 [ROUNDS]      # default 3; TILBOLIG_BENCH_15_SKIP=inbox,timers skips rows
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class Row:
    """One line of the summary: how to read its number from a round, its goal, and which way is better."""

    label: str
    unit: str
    pick: Callable[[dict[str, Any]], float | None]
    goal: str
    met: Callable[[float, dict[str, Any]], bool] | None = None


def _get(d: Any, *path: Any) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def _engine_floor(r: dict[str, Any]) -> float | None:
    raw, commit = _get(r, "engine", "raw", "us_task"), _get(r, "engine", "commit", "us")
    return 1.6 * (raw + commit) if raw and commit else None


def _speedup(r: dict[str, Any]) -> float | None:
    naive, service = _get(r, "engine", "naive", "us_task"), _get(r, "engine", "service", "us_task")
    return naive / service if naive and service else None


def _pg8_share(r: dict[str, Any]) -> float | None:
    tps, raw = _get(r, "concurrency", "rows", ("PostgreSQL", 8)), _get(r, "concurrency", "raw")
    return tps / raw if tps and raw else None


def _scale(r: dict[str, Any]) -> float | None:
    one, two = _get(r, "scaleout", "one"), _get(r, "scaleout", "two")
    return two / one if one and two else None


def _timers(r: dict[str, Any], workers: int, key: str) -> float | None:
    """A value of this tree's timer run with ``workers`` workers (lateness comes in seconds: → ms)."""
    for row in _get(r, "timers") or []:
        if isinstance(row, dict) and row.get("workers") == workers and row.get("tree", "this") == "this":
            value = row.get(key)
            if value is None:
                return None
            return float(value) * 1000 if key in ("p50", "p99", "max") else float(value)
    return None


def _inbox(r: dict[str, Any], size: str, what: str, stat: str) -> float | None:
    """From ``bench.inbox``'s rows (label, p50, p95, KB): ``size`` «10k»/«100k», ``what`` the row's name."""
    for label, p50, p95, kb in r.get("inbox") or []:
        if label.startswith(f"{size} cases") and label.endswith(what):
            return {"p50": p50, "p95": p95, "kb": kb}[stat]
    return None


ROWS: list[Row] = [
    Row("raw SpiffWorkflow, in memory", "µs/task", lambda r: _get(r, "engine", "raw", "us_task"), "(the floor)"),
    Row("bare durable commit, SQLite FULL", "µs", lambda r: _get(r, "engine", "commit", "us"), "(the disk)"),
    Row("naive: whole workflow → SQLite every step", "µs/task", lambda r: _get(r, "engine", "naive", "us_task"), "-"),
    Row("service per task, SQLite FULL (wall)", "µs/task", lambda r: _get(r, "engine", "service", "us_task"),
        "≤ 1.6 × (raw + commit)", lambda v, r: (_engine_floor(r) or 0) >= v),
    Row("service per task, CPU", "µs/task", lambda r: _get(r, "engine", "service", "cpu_us_task"), "-"),
    Row("SQL statements per step", "", lambda r: _get(r, "engine", "service", "statements"), "-"),
    Row("service vs naive", "× faster", _speedup, "≥ 1.5×", lambda v, r: v >= 1.5),
    Row("8 client processes, PostgreSQL", "tasks/s", lambda r: _get(r, "concurrency", "rows", ("PostgreSQL", 8)), "-"),
    Row("  … as a share of raw (one thread)", "of raw", _pg8_share, "≥ 0.33", lambda v, r: v >= 1 / 3),
    Row("1 client, PostgreSQL", "tasks/s", lambda r: _get(r, "concurrency", "rows", ("PostgreSQL", 1)), "-"),
    Row("1 / 8 clients, SQLite FULL", "tasks/s", lambda r: _get(r, "concurrency", "rows", ("SQLite (WAL, FULL)", 8)),
        "-"),
    Row("HTTP completion, real routine, gunicorn -w 2: median", "ms", lambda r: _get(r, "scaleout", "median_ms"),
        "≤ 5", lambda v, r: v <= 5),
    Row("HTTP completion: p99", "ms", lambda r: _get(r, "scaleout", "p99_ms"), "≤ 20", lambda v, r: v <= 20),
    Row("1 + 1 processes, 8 clients", "completions/s", lambda r: _get(r, "scaleout", "one"), "-"),
    Row("2 + 2 processes, 8 clients", "completions/s", lambda r: _get(r, "scaleout", "two"), "-"),
    Row("2 + 2 against 1 + 1", "×", _scale, "≥ 1.7×", lambda v, r: v >= 1.7),
    *(Row(f"inbox {size} cases: {label}, p95", "ms", lambda r, size=size, name=name: _inbox(r, size, name, "p95"),
          "≤ 20", lambda v, r: v <= 20)
      for size in ("10k", "100k")
      for label, name in (("the page of tasks (inbox())", "inbox()"), ("counts() from the counters", "counts(), counters"),
                          ("steps() from the counters", "steps(), counters"))),
    Row("inbox 100k cases: counts() the old way (aggregate)", "ms",
        lambda r: _inbox(r, "100k", "counts(), aggregate (before)", "p95"), "-"),
    Row("inbox 100k cases: whole HTML page, p95", "ms", lambda r: _inbox(r, "100k", "GET /innboks (HTML)", "p95"), "-"),
    Row("inbox 100k cases: page size", "KB", lambda r: _inbox(r, "100k", "GET /innboks (HTML)", "kb"), "≤ 100",
        lambda v, r: v <= 100),
    Row("timers 1M pending, 2 workers: p99 lateness", "ms", lambda r: _timers(r, 2, "p99"), "≤ 100",
        lambda v, r: v <= 100),
    Row("timers 1M pending, 1 worker: p99 lateness", "ms", lambda r: _timers(r, 1, "p99"), "-"),
    Row("timers 1M pending, worker CPU per fired timer", "ms", lambda r: _timers(r, 2, "cpu_ms"), "-"),
    Row("timers 1M pending, 1 worker: fired/s", "/s", lambda r: _timers(r, 1, "per_s"), "-"),
    Row("timers 1M pending, 2 workers: fired/s", "/s", lambda r: _timers(r, 2, "per_s"), "≥ 500",
        lambda v, r: v >= 500),
]


def one_round(skip: set[str]) -> dict[str, Any]:
    """Run every benchmark once; what each ``main()`` returned, by name."""
    from bench import concurrency, engine_bench, scaleout

    out: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], Any]]] = [("engine", lambda: engine_bench.main(30)),
                                                  ("concurrency", concurrency.main), ("scaleout", scaleout.main)]
    if "inbox" not in skip:
        from bench import inbox
        steps.append(("inbox", inbox.main))
    for name, run in steps:
        if name in skip:
            continue
        t0 = time.perf_counter()
        out[name] = run()
        print(f"  [{name}: {time.perf_counter() - t0:.0f} s]")
    return out


def summary(rounds: list[dict[str, Any]], storage: dict[str, Any] | None) -> None:
    print(f"\nIssue 15, {len(rounds)} rounds: median (min–max); «met» judged on the median")
    print(f"  {'row':56} {'median':>10} {'range':>21}  {'unit':14} goal")
    for row in ROWS:
        values = [v for v in (row.pick(r) for r in rounds) if v is not None]
        if not values:
            print(f"  {row.label:56} {'–':>10} {'':>21}  {row.unit:14} {row.goal}")
            continue
        med = statistics.median(values)
        verdict = ""
        if row.met is not None:
            # judged on the median value, and on the round whose value is the median for derived floors
            ref = min(rounds, key=lambda r: abs((row.pick(r) or med) - med))
            verdict = ": met" if row.met(med, ref) else ": NOT met"
        rng = f"{min(values):,.2f}–{max(values):,.2f}" if med < 10 else f"{min(values):,.0f}–{max(values):,.0f}"
        shown = f"{med:,.2f}" if med < 10 else f"{med:,.0f}"
        print(f"  {row.label:56} {shown:>10} {rng:>21}  {row.unit:14} {row.goal}{verdict}")
    for key, goal in (("running", 8_000), ("finished", 20_000)):
        total = _get(storage, key, "total")
        if total is not None:
            what = "state" if key == "running" else "state + history"
            print(f"  {'stored per case, ' + key + ' (' + what + ')':56} {total:>10,.0f} {'(deterministic)':>21}  "
                  f"{'bytes':14} ≤ {goal // 1000} KB: {'met' if total <= goal else 'NOT met'}")
    print(f"  cores: {os.cpu_count()}; load average at the end {os.getloadavg()[0]:.1f}")


def main(rounds: int = 3) -> None:
    skip = {s for s in os.environ.get("TILBOLIG_BENCH_15_SKIP", "").split(",") if s}
    results = []
    for i in range(rounds):
        print(f"\n===== round {i + 1} of {rounds} =====")
        results.append(one_round(skip))
    if "timers" not in skip:
        # one load of 1,000,000 pending timers, then ROUNDS rounds of 1 and 2 workers on it
        from bench import timers
        timers.ROUNDS = rounds
        t0 = time.perf_counter()
        timers.main()
        print(f"  [timers: {time.perf_counter() - t0:.0f} s]")
        mine = [r for r in timers.LAST_ROWS if r.get("tree") == "this"]
        for i, result in enumerate(results):
            result["timers"] = mine[2 * i:2 * i + 2]
    storage = None
    if "storage" not in skip:
        from bench import storage as storage_bench
        storage = storage_bench.main()
    summary(results, storage)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
