"""Which process owners may deploy scripts: the role ``skriptbetrodd``, given by an administrator.

Scripts in a diagram always run in the sandbox (``engine.bpmn.scripts``: RestrictedPython, time and
memory budgets, no imports, no files, no network), whoever deployed them.  The trust is about
*authorship*: a script decides a case's path and data, so only people an administrator names may
put one into production.  Granting and revoking are audit events.
"""
from __future__ import annotations

from engine.bpmn.lanes import SCRIPTS_TRUSTED
from engine.extensions import db
from engine.store.models import AuditEvent, User


def set_scripts_trusted(user: User, trusted: bool, reason: str, actor_id: int | None = None) -> bool:
    """Give or take the role; False when nothing changed.  Commits (with its audit row)."""
    roles = [r for r in user.roles.split(",") if r]
    if (SCRIPTS_TRUSTED in roles) == trusted:
        return False
    roles = [*roles, SCRIPTS_TRUSTED] if trusted else [r for r in roles if r != SCRIPTS_TRUSTED]
    user.roles = ",".join(roles)
    db.session.add(AuditEvent(type="user.scripts_trusted" if trusted else "user.scripts_untrusted",
                              actor_id=actor_id, data={"user_id": user.id, "reason": reason}))
    db.session.commit()
    return True
