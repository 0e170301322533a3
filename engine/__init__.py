"""tilbolig: «Fra institusjon til bolig» as a running BPMN process.

``create_app`` is the one place things are wired (Flask's application-factory pattern).
"""
from __future__ import annotations

import os
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from engine import cli, config, runtime_state
    from engine.extensions import db, migrate
    from engine.web import api, errors

    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_env(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "store", "migrations"),
                     render_as_batch=True)
    runtime_state.init_app(app)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    cli.init_app(app)
    _init_optional(app)
    return app


def _init_optional(app: Flask) -> None:
    """Blueprints added by later capabilities register themselves here if present."""
    import importlib

    for module in ("engine.web.pages", "engine.web.admin", "engine.web.inbound", "engine.scheduler"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        mod.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL for concurrent readers, a busy timeout for the single writer, enforced foreign keys."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA synchronous={os.environ.get('TILBOLIG_SQLITE_SYNCHRONOUS', 'NORMAL')}")
    cur.close()
