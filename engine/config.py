"""Configuration: defaults, overridden by environment variables, overridden by a test config.

Read once in ``create_app``; nothing reads ``os.environ`` at import time.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def from_env(instance_path: str) -> dict:
    """Settings for this process. ``DATABASE_URL`` selects PostgreSQL; SQLite is the default."""
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'tilbolig.db'}"
    if db_url.startswith("postgres://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgres://"):]
    elif db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://"):]
    return {
        "SECRET_KEY": os.environ.get("TILBOLIG_SECRET_KEY", "dev-only-change-me"),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "MAX_CONTENT_LENGTH": int(os.environ.get("TILBOLIG_MAX_UPLOAD", 10 * 1024 * 1024)),
        "PROCESSES_DIR": os.environ.get("TILBOLIG_PROCESSES", str(ROOT / "processes")),
        "FORMS_DIR": os.environ.get("TILBOLIG_FORMS", str(ROOT / "forms")),
        # Deployments with script tasks need a trusted deployer (role administrator) unless allowed here.
        "ALLOW_SCRIPTS_FROM_PROCESS_OWNERS": os.environ.get("TILBOLIG_ALLOW_SCRIPTS", "0") == "1",
        "SCHEDULER_ENABLED": os.environ.get("TILBOLIG_SCHEDULER", "0") == "1",
        "SCHEDULER_TICK_SECONDS": float(os.environ.get("TILBOLIG_TICK", "1")),
        "SQLITE_SYNCHRONOUS": os.environ.get("TILBOLIG_SQLITE_SYNCHRONOUS", "NORMAL"),
    }
