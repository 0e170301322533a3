"""Timers: the worker that fires due timers, moved deadlines, the deadline overview, the in-process ticker.

What is due is decided by the database (``engine.store.due_timers``); every firing is a case step.
"""
