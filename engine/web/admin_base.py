"""The console pages' blueprint — shared by ``admin_pages``, ``admin_events`` and ``admin_users``.

Kept apart so that the page modules import this one and nothing imports back (no import cycle).
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_pages", __name__, url_prefix="/admin", template_folder="templates")
