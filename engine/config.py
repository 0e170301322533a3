"""Configuration: defaults here, then ``TILBOLIG_<KEY>`` environment variables, then a test config.

Read once, in ``create_app``, with Flask's ``from_prefixed_env("TILBOLIG")``: every key below can be
set as ``TILBOLIG_<KEY>`` (values are parsed as JSON where they parse, so ``1``, ``true`` and ``2.5``
arrive as numbers and booleans). ``DATABASE_URL`` is also honoured, as hosting platforms set it.
Nothing reads ``os.environ`` anywhere else.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Every setting of the service and its default (see README «Innstillinger»).
DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": "dev-only-change-me",
    "SQLALCHEMY_DATABASE_URI": None,              # default: SQLite in the instance folder
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "PROCESSES_DIR": str(ROOT / "processes"),
    "FORMS_DIR": str(ROOT / "forms"),
    # Deployments with script tasks need a trusted deployer (role administrator) unless allowed here.
    "ALLOW_SCRIPTS_FROM_PROCESS_OWNERS": False,
    "SCHEDULER_ENABLED": False,
    "SCHEDULER_TICK_SECONDS": 1.0,
    "SQLITE_SYNCHRONOUS": "NORMAL",
    # webhooks
    "WEBHOOK_MAX_ATTEMPTS": 8,
    "WEBHOOK_BACKOFF_BASE": 10.0,          # seconds before the first retry
    "WEBHOOK_BACKOFF_CAP": 6 * 3600.0,     # never wait longer than this between attempts
    "WEBHOOK_LEASE_SECONDS": 60.0,         # a claimed row is invisible to other workers this long
    "WEBHOOK_ALLOW_LOOPBACK": False,       # tests and local development only
    "WEBHOOK_INBOUND_TOLERANCE": 300.0,    # seconds a signed inbound timestamp may differ from now
}


def normalise_db_url(url: str) -> str:
    """Use the psycopg 3 driver for ``postgres://`` and ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(config: Any, instance_path: str, test_config: dict[str, Any] | None = None) -> None:
    """Fill a Flask ``config``: defaults, then the environment, then ``test_config``; fix up derived values."""
    config.from_mapping(DEFAULTS)
    if os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    config.from_prefixed_env("TILBOLIG")
    if test_config:
        config.from_mapping(test_config)
    uri = config.get("SQLALCHEMY_DATABASE_URI") or f"sqlite:///{Path(instance_path) / 'tilbolig.db'}"
    config["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(uri)
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
