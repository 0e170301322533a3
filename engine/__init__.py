"""tilbolig: «Fra institusjon til bolig» as a running BPMN process.

``create_app`` is the composition root (Flask's application-factory pattern): it reads the
configuration once and lists every subsystem explicitly, in dependency order. Nothing registers
itself by being imported, and nothing is probed for.
"""
from __future__ import annotations

import os
from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the service: configuration, database, engine, the unit-of-work hooks, web, CLI, scheduler."""
    from engine import cli, config, logs, survey, web
    from engine.access import access_log, passwords
    from engine.cases import consent as case_consent
    from engine.cases import unit_of_work
    from engine.events import hooks as event_hooks
    from engine.extensions import db, migrate
    from engine.meetings import minutes as meeting_minutes
    from engine.notify import hooks as notify_hooks
    from engine.processes import runtime_state
    from engine.reports import facts as report_facts
    from engine.reports import readmission
    from engine.store import sqlite
    from engine.timers import scheduler

    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    config.load(app.config, app.instance_path, test_config)
    if not app.testing or app.config["LOG_FORMAT"] == "json":
        logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])   # JSON lines with the request id
    if app.config.get("PASSWORD_HASH_METHOD"):
        passwords.configure(app.config["PASSWORD_HASH_METHOD"])   # scrypt unless set (the tests set it)
    db.init_app(app)
    access_log.install()            # access-log rows ride in the next commit (one Core INSERT)
    sqlite.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "store", "migrations"),
                     render_as_batch=True)
    runtime_state.init_app(app)     # the engine, parsed specs per version, warm workflows
    unit_of_work.init_app(app)      # the hook registry every case change runs
    case_consent.init_app(app)      # a completed samtykke form becomes the case's consent, in the same commit
    event_hooks.init_app(app)       # outbox rows in the change's transaction; held events after commit
    notify_hooks.init_app(app)      # notifications (and their e-mail) in the change's transaction (#17)
    survey.init_app(app)            # the yearly livskvalitet survey: deadline marks, frozen report, start on tick
    report_facts.install(unit_of_work.hooks(app), readmission.make_link(readmission.link_key(
        app.config.get("SECRET_KEY") or "", app.config.get("RESIDENT_LINK_KEY"))))   # the report's facts (#16)
    meeting_minutes.install(unit_of_work.hooks(app))   # completing the minutes marks the planned meeting held (#17)
    web.init_app(app)               # error handlers, JSON API, pages, console, webhooks in, timers API
    cli.init_app(app)               # flask deploy | seed | worker | timers | deadlines | admin | webhooks …
    scheduler.init_app(app)         # the in-process ticker (only when SCHEDULER_ENABLED)
    return app
