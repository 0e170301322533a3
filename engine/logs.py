"""Log lines a machine can read: one JSON object per line, with the request's correlation id (#15).

Why: with N web and N worker processes the only way to follow one request or one worker pass
across them is a shared id in every line, and a log platform (Loki, Elastic, journald's JSON) wants
fields, not prose. ``LOG_FORMAT=json`` (``TILBOLIG_LOG_FORMAT``; the Procfile and gunicorn.conf.py
set it) installs the JSON formatter on the root logger; ``text`` (the default, ``make run``) keeps
Python's usual lines with the id in brackets.

The id lives in a context variable: the web layer binds the request's ``X-Request-Id`` for the
length of a request, the worker binds one id per pass, so code below them (unit of work, hooks)
logs with the right id without being handed it. No Flask here: the core and the worker use it too.
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("tilbolig_log_context", default=None)
_HANDLER_NAME = "tilbolig"
#: LogRecord attributes that are not extra fields
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "correlation"}


def bind(**fields: Any) -> contextvars.Token:
    """Add fields (``request_id``, ``user``, ``case_id`` …) to every line logged in this context."""
    return _context.set({**(_context.get() or {}), **fields})


def reset(token: contextvars.Token) -> None:
    _context.reset(token)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """``with logs.bound(request_id=…):`` — the fields apply inside the block only."""
    token = bind(**fields)
    try:
        yield
    finally:
        reset(token)


def current() -> dict[str, Any]:
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Puts the bound fields on each record (``record.correlation`` for the text format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _context.get() or {}
        for key, value in fields.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        record.correlation = fields.get("request_id") or fields.get("job_id") or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, bound and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        out.update(_context.get() or {})
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(fmt: str = "text", level: str = "INFO", stream: Any = None) -> logging.Handler:
    """Install (once; again replaces it) the service's handler on the root logger."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == _HANDLER_NAME:
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # the scheduler logs every tick («Job … executed successfully») at INFO: once a second is noise
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    # SpiffWorkflow logs every task state change at INFO (four lines for a fired timer, more for a
    # completion): the audit trail already records what happened, and formatting those lines cost
    # CPU on every step (#15). Its warnings and errors still come through.
    logging.getLogger("spiff").setLevel(max(logging.WARNING, root.level))
    return handler
