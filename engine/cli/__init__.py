"""``flask`` commands, thin: each calls a use case. ``init_app`` registers every group.

The CLI sits beside the web layer at the edge: it may import any capability but never ``engine.web``.
"""
from __future__ import annotations

from flask import Flask

from engine.cli import admin, commands, inbox, mail, reports, survey, timers, users, webhooks


def init_app(app: Flask) -> None:
    commands.init_app(app)      # deploy, validate, seed, create-token, timers fire
    timers.init_app(app)        # worker, timers list, deadlines move|list
    app.cli.add_command(admin.admin_group)
    webhooks.init_app(app)      # webhooks …, outbox deliver
    users.init_app(app)         # users revoke | link-pid (#13)
    survey.init_app(app)        # survey start --year (#16)
    reports.init_app(app)       # reports backfill (#16)
    mail.init_app(app)          # mail send-due | list | requeue (#17)
    inbox.init_app(app)         # inbox rebuild-counts | verify-counts (#15)
