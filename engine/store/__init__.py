"""The store: SQLAlchemy models, the migrations, and the queries several capabilities share.

Importing the package loads every model module, so the metadata (and Alembic) sees every table.
"""
from engine.store import auth, collab, consent, meetings, models, notify, report_facts, timers, webhooks  # noqa: F401
