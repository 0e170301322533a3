"""Events: webhooks out (the outbox and its subscriptions) and events in (the inbox).

Depends on ``engine.cases`` (an inbound event is delivered as a case step); the case unit of work
reaches back only through the hooks registered in :mod:`engine.events.hooks`.
"""
