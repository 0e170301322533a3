"""The web edge: error handlers, the JSON API, the caseworker pages, the console, webhooks in, the timers API.

Views are thin: they parse a request, call a use case of ``engine.cases`` / ``engine.timers`` /
``engine.events`` / ``engine.ops``, and render. ``init_app`` lists every blueprint.
"""
from __future__ import annotations

from flask import Flask

import engine.web.security as security  # sessions, headers, sign-in routes, revocation API (#13)
from engine.web import (  # noqa: F401,E501  (their routes are on the pages blueprint)
    admin,
    admin_pages,
    api,
    collab_api,
    collab_pages,
    collab_view,
    consent_api,
    errors,
    inbound,
    inputs,
    modeler,
    notify_pages,
    pages,
    pages_case,
    pages_consent,
    pages_meetings,
    pages_task,
    reports_pages,
    survey_pages,
    timers_api,
    webhooks_api,
)


def init_app(app: Flask) -> None:
    errors.init_app(app)            # one error shape for the whole service, request ids, safe rendering
    app.before_request(collab_view.bound_uploads)   # the attachment cap, before anything reads a body (#17)
    inputs.init_app(app)            # bounded <int:…> ids in every route (before any blueprint), no NUL/surrogates
    security.init_app(app)          # secret key check, server-side sessions, headers, sign-in pages (#13)
    app.register_blueprint(api.bp)  # /api/v1
    pages.init_app(app)             # the caseworker app (sessions, CSRF, translations)
    admin.init_app(app)             # /api/v1/admin, /metrics and request timing
    admin_pages.init_app(app)       # the console pages
    modeler.init_app(app)           # /admin/modeller: the browser modeler for process owners (#18)
    inbound.init_app(app)           # POST /webhooks/<source>
    app.register_blueprint(webhooks_api.bp)
    app.register_blueprint(timers_api.bp)
    app.register_blueprint(consent_api.bp)   # /api/v1/cases/<id>/consent
    app.register_blueprint(collab_api.bp)    # /api/v1/cases/<id>/comments, /api/v1/comments/<id> (#17)
    reports_pages.init_app(app)     # /rapport: «Følges rutinen?» (#16)
    notify_pages.init_app(app)      # the bell's count in the navigation; /varsler (#17)
