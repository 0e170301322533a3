"""A benchmark's own empty database: a temporary SQLite file, or ``BENCH_DATABASE_URL`` wiped clean.

Shared by the benchmarks that need the service with migrations applied and the demo users seeded.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from engine import create_app
from engine.access import demo
from engine.extensions import db


def fresh_app(prefix: str, **config: Any) -> Flask:
    """An app on an empty, migrated database with the demo users (password ``bench``)."""
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix=prefix)}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, **config})
    with app.app_context():
        if not url.startswith("sqlite"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        demo.seed_users("bench")
    return app
