"""Issue #13 «Lock the door», wired in one call: server-side sessions and the secret-key check,
security headers and the revocation API.  The sign-in pages (password and OpenID Connect) are in
``engine.web.login`` on the pages blueprint; ``flask users`` is in ``engine.cli.users``.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from engine.web import headers, login, sessions, users_admin  # noqa: F401 - login's routes are on the pages blueprint

    sessions.init_app(app)
    headers.init_app(app)
    users_admin.init_app(app)
