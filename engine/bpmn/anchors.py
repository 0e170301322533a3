"""Timer instants that are not deadlines: the moment an anchor day begins.

A deadline lasts to the end of its day (``deadlines.frist``); a phase that opens *on* a day (the
start phase at T0) opens when that Oslo day begins.  Pure: no Flask, no database.
"""
from __future__ import annotations

from datetime import datetime, time

from engine.bpmn.deadlines import parse_anchor
from engine.clock import OSLO, UTC


def dagstart(anchor: object) -> str:
    """Timer expression helper: midnight at the start of the anchor's Oslo day, as ISO-8601 UTC.

    ``<bpmn:timeDate>dagstart(innflytting)</bpmn:timeDate>`` waits until T0 begins, or fires at
    once when T0 has passed (a case registered mid-stay).
    """
    return datetime.combine(parse_anchor(anchor), time(0), tzinfo=OSLO).astimezone(UTC).isoformat()
