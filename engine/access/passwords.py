"""Password hashes for the local sign-in (the demo accounts and any local user).

One place decides the hashing method, so it is the same for every account and for the dummy hash
that an unknown username is checked against (equal answer times do not reveal which usernames
exist).  The default is werkzeug's own (scrypt), which costs about 0.2 s of CPU per hash by design.
``PASSWORD_HASH_METHOD`` exists for the test suite, which seeds the demo users before almost every
test: there a cheap method saves minutes per run.  A production deployment leaves it unset.
"""
from __future__ import annotations

from functools import lru_cache

from werkzeug.security import check_password_hash, generate_password_hash

_method: str | None = None


def configure(method: str | None) -> None:
    """Set the method for new hashes (``None``: werkzeug's default).  Called by ``create_app``."""
    global _method
    _method = method or None


def hash_password(password: str) -> str:
    """A salted hash of ``password`` in the configured method."""
    return generate_password_hash(password, method=_method) if _method else generate_password_hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``.  With no stored hash (an unknown user, or one who
    signs in only through OpenID Connect) the password is still checked against a dummy hash of the
    same method, so the time taken does not tell the caller which case it was — and the answer is no."""
    if not stored:
        check_password_hash(_dummy(_method), password)
        return False
    return check_password_hash(stored, password)


@lru_cache(maxsize=4)
def _dummy(method: str | None) -> str:
    return hash_password("not-a-password-anyone-has")
