"""Issue #13 «Lock the door», wired in one call: server-side sessions and the secret-key check,
security headers, OpenID Connect sign-in, and the revocation API (``flask users`` is in engine.cli).

The password login page itself lives in ``engine.web.login`` on the pages blueprint.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from engine.web import headers, oidc, sessions, users_admin

    sessions.init_app(app)
    headers.init_app(app)
    oidc.init_app(app)
    users_admin.init_app(app)
