"""The service's edge to other systems: signatures, safe targets, outbound delivery, inbound events.

Pure: no Flask, no database.  The service glue lives in ``engine/outbox.py`` and ``engine/inbox.py``.
"""
