"""Standard Webhooks signatures: secrets, signing outgoing messages, verifying incoming ones.

Signing delegates to the ``standardwebhooks`` package so receivers can verify with any Standard
Webhooks library.  Verification is our own thin layer because the package hard-codes its clock and
tolerance; here both are arguments, so tests move time and operators tune the window.
Pure: no Flask, no database.
"""
from __future__ import annotations

import base64
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = timedelta(minutes=5)


class SignatureError(Exception):
    """The request is not provably from the source: missing headers, wrong signature or stale time."""


def generate_secret() -> str:
    """A fresh random secret in Standard Webhooks form (``whsec_`` + base64 of 32 bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """Return ``secret`` if it is a usable ``whsec_…`` secret; raise ``ValueError`` otherwise."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError("Hemmeligheten må ha formen whsec_<base64>.")
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX):] + "==", validate=False)
    except ValueError as exc:
        raise ValueError("Hemmeligheten er ikke gyldig base64.") from exc
    if len(raw) < 24:
        raise ValueError("Hemmeligheten må være minst 24 byte (192 bit).")
    return secret


def sign_headers(secret: str, msg_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt of ``body``."""
    at = at.astimezone(UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature}


def verify(secret: str, headers: dict[str, str], body: bytes | str, now: datetime,
           tolerance: timedelta = DEFAULT_TOLERANCE) -> str:
    """Check signature and timestamp; return the webhook id.  Raises ``SignatureError``.

    The timestamp window (both directions) is what makes a captured request useless later; the
    id de-duplication (done by the caller, who has the store) covers replays inside the window.
    """
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise SignatureError("Mangler webhook-id, webhook-timestamp eller webhook-signature.")
    if len(msg_id) > 200:
        raise SignatureError("webhook-id er for lang.")
    try:
        at = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise SignatureError("Ugyldig webhook-timestamp.") from exc
    if abs(now - at) > tolerance:
        raise SignatureError("Tidsstempelet er utenfor tillatt tidsvindu.")
    text = body.decode("utf-8", errors="strict") if isinstance(body, bytes) else body
    expected = base64.b64decode(Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=text).split(",", 1)[1])
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(expected, given):
            return msg_id
    raise SignatureError("Signaturen stemmer ikke.")
