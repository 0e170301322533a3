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
    # No default: without TILBOLIG_SECRET_KEY or instance/secret_key (``make secret``) the app refuses
    # to start outside debug/tests (engine.web.sessions, #13).
    "SECRET_KEY": None,
    # HMAC key linking the cases of one resident for the readmission report (#16); empty: derived
    # from SECRET_KEY with a purpose string of its own (engine/reports/readmission.py)
    "RESIDENT_LINK_KEY": "",
    "SQLALCHEMY_DATABASE_URI": None,              # default: SQLite in the instance folder
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    # attachments (#17): the most one file may be (uploads are allowed this plus a little form overhead),
    # and where blobs are kept (empty: <instance>/attachments; engine.collab.store)
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENT_STORE_DIR": "",
    "PROCESSES_DIR": str(ROOT / "processes"),
    "FORMS_DIR": str(ROOT / "forms"),
    # Deployments with script tasks need a trusted deployer (role administrator) unless allowed here.
    "ALLOW_SCRIPTS_FROM_PROCESS_OWNERS": False,
    "SCHEDULER_ENABLED": False,
    "SCHEDULER_TICK_SECONDS": 1.0,
    # cases one timer claim takes (engine/timers/claims.py); a hung worker holds at most this many
    "TIMER_CLAIM_BATCH": 20,
    "SQLITE_SYNCHRONOUS": "NORMAL",
    # logs (engine/logs.py): "text" for a terminal, "json" (one object per line, with the request id)
    # for production — the Procfile and gunicorn.conf.py set TILBOLIG_LOG_FORMAT=json
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "INFO",
    "ACCESS_LOG": False,                   # one log line per request from the app (gunicorn's own is off)
    # webhooks
    "WEBHOOK_MAX_ATTEMPTS": 8,
    "WEBHOOK_BACKOFF_BASE": 10.0,          # seconds before the first retry
    "WEBHOOK_BACKOFF_CAP": 6 * 3600.0,     # never wait longer than this between attempts
    "WEBHOOK_LEASE_SECONDS": 60.0,         # a claimed row is invisible to other workers this long
    "WEBHOOK_ALLOW_LOOPBACK": False,       # tests and local development only
    "WEBHOOK_INBOUND_TOLERANCE": 300.0,    # seconds a signed inbound timestamp may differ from now
    # e-mail and notifications (#17; README «Varsler og e-post»). Off: nothing is queued or sent,
    # the bell still works.
    "MAIL_ENABLED": False,
    "MAIL_SMTP_HOST": "localhost",
    "MAIL_SMTP_PORT": 25,
    "MAIL_SMTP_STARTTLS": False,
    "MAIL_SMTP_USER": "",
    "MAIL_SMTP_PASSWORD": "",
    "MAIL_SMTP_TIMEOUT": 30.0,
    "MAIL_FROM": "tilbolig <ikke-svar@tilbolig.test>",
    "MAIL_BASE_URL": "http://localhost:5000",   # links in e-mail point here
    "MAIL_MAX_ATTEMPTS": 10,
    "MAIL_BACKOFF_BASE": 30.0,             # seconds before the first retry, doubled each time
    "MAIL_BACKOFF_CAP": 6 * 3600.0,
    "MAIL_LEASE_SECONDS": 300.0,           # a claimed mail is another worker's only after this
    "NOTIFY_DEFAULT_MAIL": "immediate",    # immediate | digest | off, for users who chose nothing
    "NOTIFY_DIGEST_HOUR": 7,               # the daily digest goes out from this hour, Oslo time
    "NOTIFY_SOON_DAYS": 7,                 # «frist om 7 dager»
    "NOTIFY_SCAN_SECONDS": 60.0,           # how often the worker looks for deadlines and digests
    # sign-in, sessions and headers (#13; README «Security»)
    "PASSWORD_LOGIN_ENABLED": True,        # local passwords (the demo); turn off when OIDC is set up
    "PASSWORD_HASH_METHOD": None,          # None: werkzeug's scrypt; the test suite sets a cheap one
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    "SESSION_COOKIE_SAMESITE": "Lax",      # Flask defines the key (None), so it is set here, not setdefault
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,        # True: always; False: Secure whenever the request came over HTTPS
    "HSTS_SECONDS": 31536000,              # sent on HTTPS responses only; 0 turns it off
    "PROXY_FIX_HOPS": 0,                   # trusted reverse proxies in front (X-Forwarded-For/-Proto/-Host)
    "LOGIN_WINDOW_MINUTES": 15,
    "LOGIN_MAX_FAILURES_PER_USER": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 30,
    "CONTENT_SECURITY_POLICY": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    # staff: the employer's OpenID Connect provider (Entra ID, Keycloak, …)
    "OIDC_STAFF_ISSUER": "",
    "OIDC_STAFF_DISCOVERY_URL": "",        # default: <issuer>/.well-known/openid-configuration
    "OIDC_STAFF_CLIENT_ID": "",
    "OIDC_STAFF_CLIENT_SECRET": "",
    "OIDC_STAFF_SCOPE": "openid profile email",
    "OIDC_STAFF_TOKEN_AUTH": "client_secret_basic",   # or client_secret_post
    "OIDC_STAFF_USERNAME_CLAIM": "preferred_username",
    "OIDC_STAFF_ORG_CLAIM": "tilbolig_org",
    "OIDC_STAFF_ORG_MAP": {},              # claim value -> organisation slug; empty: the value is the slug
    "OIDC_STAFF_ROLES_CLAIM": "roles",
    "OIDC_STAFF_ROLE_MAP": {},             # claim value -> role; empty: values that are role names
    "OIDC_STAFF_ACR": "",                  # required acr for staff, if any
    "OIDC_STAFF_LABEL": "Logg inn som ansatt",
    # residents: ID-porten
    "OIDC_RESIDENT_ISSUER": "",
    "OIDC_RESIDENT_DISCOVERY_URL": "",
    "OIDC_RESIDENT_CLIENT_ID": "",
    "OIDC_RESIDENT_CLIENT_SECRET": "",
    "OIDC_RESIDENT_SCOPE": "openid profile",
    "OIDC_RESIDENT_TOKEN_AUTH": "client_secret_basic",
    "OIDC_RESIDENT_PID_CLAIM": "pid",
    "OIDC_RESIDENT_ACR": "idporten-loa-high",
    "OIDC_RESIDENT_LABEL": "Logg inn med ID-porten",
    "OIDC_HTTP_TIMEOUT": 10.0,
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
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secret_key_file(instance_path)
    if test_config:
        config.from_mapping(test_config)
    uri = config.get("SQLALCHEMY_DATABASE_URI") or f"sqlite:///{Path(instance_path) / 'tilbolig.db'}"
    config["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(uri)
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})


def secret_key_file(instance_path: str) -> str | None:
    """``instance/secret_key`` (written by ``make secret``, which ``make run`` runs first), if there."""
    try:
        return (Path(instance_path) / "secret_key").read_text().strip() or None
    except FileNotFoundError:
        return None
