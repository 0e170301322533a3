"""SQLite settings on every new connection: WAL, a busy timeout, foreign keys, the chosen durability.

SQLite keeps these per connection, so they are set in a ``connect`` listener on the app's engine
(PostgreSQL connections are left alone).
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from engine.extensions import db

_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def init_app(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    synchronous = str(app.config.get("SQLITE_SYNCHRONOUS", "NORMAL")).upper()
    if synchronous not in _SYNCHRONOUS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(_SYNCHRONOUS)}")

    def pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.close()

    with app.app_context():
        event.listen(db.engine, "connect", pragmas)
