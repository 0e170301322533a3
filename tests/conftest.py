"""Shared fixtures: one migrated database per test session (SQLite file or PostgreSQL), emptied
between tests; demo users with API tokens; a small three-lane fixture process.

``TILBOLIG_TEST_DATABASE_URL`` (or ``DATABASE_URL``) selects the database; SQLite is the default.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from engine import create_app
from engine.extensions import db

FIXTURES = Path(__file__).parent / "fixtures"

# Browser fixtures (one Playwright and one Chromium per session) are shared by every test folder.
pytest_plugins = ["tests.browser.fixtures_pw", "tests.smtp"]


def _db_url(tmp_path_factory) -> str:
    url = os.environ.get("TILBOLIG_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return _worker_database(url, worker) if worker and not url.startswith("sqlite") else url
    # tmp_path_factory is per xdist worker already: each worker gets its own SQLite file
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _worker_database(url: str, worker: str) -> str:
    """A fresh PostgreSQL database per pytest-xdist worker (``<db>_gw0`` …), made from the given one.

    The workers truncate every table between tests, so two of them sharing one database would empty
    each other's rows; a database each keeps the suite exactly as it runs serially.
    """
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_worker_database(application) -> None:
    """Drop this worker's database at the end of the session (CI drops only the one it created)."""
    with application.app_context():
        db.engine.dispose()
        url = db.engine.url
    base = sa.create_engine(url.set(database=url.database.rsplit("_gw", 1)[0]), isolation_level="AUTOCOMMIT")
    with base.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    base.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _db_url(tmp_path_factory)
    os.environ.pop("DATABASE_URL", None)
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test",
                              "WTF_CSRF_ENABLED": True, "SCHEDULER_ENABLED": False,
                              # scrypt costs 0.2 s per hash, and the demo users are seeded for almost
                              # every test: a cheap method saves minutes per run (login still hashes)
                              "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with application.app_context():
        if not url.startswith("sqlite"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        from flask_migrate import upgrade
        upgrade()
        if not url.startswith("sqlite"):
            with db.engine.begin() as conn:
                _no_autovacuum(conn)
    yield application
    if os.environ.get("PYTEST_XDIST_WORKER") and not url.startswith("sqlite"):
        _drop_worker_database(application)


#: On PostgreSQL, one round trip that empties every table and restarts every sequence.  DELETE with
#: triggers off (``session_replication_role = replica``: no foreign-key checks, no inbox-counter
#: triggers) takes about 15 ms for the suite's small tables; TRUNCATE … RESTART IDENTITY took 190 ms,
#: because it gives every table and index a new file.  It needs a superuser, as CI's ``postgres`` is;
#: without one the TRUNCATE is used.  Autovacuum is off for the test tables (``_no_autovacuum``) and
#: every ``_TRUNCATE_EVERY``-th test truncates: a vacuumed page would take new rows in its freed
#: space, and tests may (and before this did) read rows back in insertion order without ORDER BY.
_PG_EMPTY = """
SET LOCAL session_replication_role = replica;
{deletes}
SELECT setval(c.oid::regclass, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'S' AND n.nspname = current_schema();
"""
_TRUNCATE_EVERY = 50
_emptied = [0]


def _no_autovacuum(conn) -> None:
    for t in db.metadata.sorted_tables:
        conn.exec_driver_sql(f'ALTER TABLE "{t.name}" SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)')


def _truncate(application) -> None:
    with application.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                _emptied[0] += 1
                superuser = conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
                if superuser and _emptied[0] % _TRUNCATE_EVERY:
                    deletes = "\n".join(f'DELETE FROM "{t.name}";' for t in tables)
                    conn.exec_driver_sql(_PG_EMPTY.format(deletes=deletes))
                else:
                    conn.execute(sa.text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for t in tables:
                    conn.execute(t.delete())
        application.extensions["tilbolig"].__init__()


@pytest.fixture()
def ctx(app):
    _truncate(app)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture()
def users(ctx):
    from engine.access import demo
    return {u.username: u for u in demo.seed_users("test-passord")}


class ApiClient:
    """A test client that sends one user's bearer token."""

    def __init__(self, client, token: str | None) -> None:
        self.client, self.token = client, token

    def _headers(self, headers=None):
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, url, json=None, **kw):
        return self.client.put(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url, json=None, **kw):
        return self.client.patch(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture()
def api(ctx, users):
    """``api('kari.gamleoslo').post(...)``: an API client acting as that demo user."""
    from engine.web.auth import create_token
    tokens = {}

    def make(username: str | None) -> ApiClient:
        if username and username not in tokens:
            tokens[username] = create_token(users[username], "test")
        return ApiClient(ctx.test_client(), tokens.get(username))
    return make


def fixture_files(*names: str) -> dict[str, bytes]:
    return {n: (FIXTURES / n).read_bytes() for n in names}


@pytest.fixture()
def tre_baner(ctx, users):
    """Deploy the three-lane fixture process; returns its process version."""
    from engine.processes import deployments
    result = deployments.deploy(fixture_files("tre_baner.bpmn", "enkel.schema.json"), None)
    return result.versions[0]


@pytest.fixture()
def clock_at():
    """Freeze time at a UTC instant; returns the traveller so a test can ``shift`` it."""
    travellers = []

    def start(*args) -> time_machine.Coordinates:
        t = time_machine.travel(datetime(*args, tzinfo=timezone.utc), tick=False)
        travellers.append(t)
        return t.start()
    yield start
    for t in travellers:
        t.stop()


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def real_process(ctx, users):
    """The real routine from ``processes/`` + ``forms/``, deployed. A diagram that does not deploy fails here."""
    from engine.processes import deployments
    files = deployments.read_paths([str(ROOT / "processes")])
    assert any(name.endswith(".bpmn") for name in files), "processes/ has no diagrams"
    return deployments.deploy(files, None)


#: The slowest test files, slowest first (measured with ``--durations=0`` on SQLite and PostgreSQL).
#: ``make test`` runs two processes with ``--dist loadfile``: whole files are handed out in
#: collection order, so a heavy file collected last ran alone at the end while the other process
#: idled.  Handing the heavy files out first lets the many small ones fill the gaps.
HEAVY_FIRST = (
    "tests/browser/test_axe_everywhere.py",
    "tests/routine/test_simulated_year.py",
    "tests/consent/test_matrix.py",
    "tests/web/test_openapi_fuzz.py",
    "tests/web/test_pages.py",
    "tests/browser/test_day.py",
    "tests/modeler/test_round_trip.py",
    "tests/modeler/test_browser.py",
    "tests/webhooks/test_outbound.py",
    "tests/browser/test_find_work.py",
    "tests/browser/test_collab.py",
    "tests/browser/test_caseworker.py",
    "tests/browser/test_survey.py",
    "tests/oidc/test_oidc.py",
    "tests/browser/test_report.py",
    "tests/ops/test_browser.py",
    "tests/ops/test_production.py",
)


def pytest_collection_modifyitems(session, config, items) -> None:
    """Put the files of ``HEAVY_FIRST`` first, in its order; every file's own tests keep their order."""
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    root = Path(str(config.rootpath))

    def key(indexed):
        index, item = indexed
        rel = Path(str(item.path)).relative_to(root).as_posix() if Path(str(item.path)).is_relative_to(root) else ""
        return (rank.get(rel, len(rank)), index)
    items[:] = [item for _, item in sorted(enumerate(items), key=key)]
