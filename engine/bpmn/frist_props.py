"""How a deadline set in the browser modeler is written into a diagram (the FRIST-FORMAT of #18).

The engine runs a deadline from its timer expression, ``frist(anker, "P14D")`` (see ``deadlines``);
a process owner in the properties panel picks an anchor, a period and «virkedag» instead of typing
Python.  So the panel writes both, on the timer event (intermediate catch or boundary):

* ``spiffworkflow:property`` ``frist``          — the deadline's key (catalogue name, e.g. ``samtykke``;
  unchanged meaning: the reports and the «Frister» list count by it);
* ``frist_anker``    — the case-data variable holding the anchor date (``innflytting`` is T0);
* ``frist_periode``  — an ISO 8601 date period (``P14D``, ``P4W``, ``P4M``, ``P2M2W``);
* ``frist_virkedag`` — ``ja`` when a deadline on a weekend or holiday rolls to the next working day;
* and ``<bpmn:timeDate>`` = :func:`expression` of the three (what the engine evaluates).

A diagram with only ``frist`` (every diagram from before) keeps working; the three extra
properties are a declaration that live validation holds against the timer expression
(:func:`mismatch`).  Pure: no Flask, no database.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from engine.bpmn.deadlines import DeadlineError, parse_period

ANCHOR, PERIOD, WORKING_DAY = "frist_anker", "frist_periode", "frist_virkedag"
YES = "ja"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Deadline:
    anchor: str
    period: str
    working_day: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"anchor": self.anchor, "period": self.period, "working_day": self.working_day}


def expression(d: Deadline) -> str:
    """The timer expression the engine evaluates for a declared deadline."""
    tail = ", virkedag=True" if d.working_day else ""
    return f'frist({d.anchor}, "{d.period}"{tail})'


def parse_expression(text: str | None) -> Deadline | None:
    """``frist(anker, "P14D"[, virkedag=True | True])`` as a :class:`Deadline`; None for anything else
    (another expression is legal, only not editable in the panel)."""
    if not text or len(text) > 200:
        return None
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "frist"
            and len(node.args) in (2, 3) and isinstance(node.args[0], ast.Name)
            and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
        return None
    flag: ast.expr | None = node.args[2] if len(node.args) == 3 else None
    for kw in node.keywords:
        if kw.arg != "virkedag" or flag is not None:
            return None
        flag = kw.value
    if flag is not None and not (isinstance(flag, ast.Constant) and isinstance(flag.value, bool)):
        return None
    return Deadline(node.args[0].id, node.args[1].value, bool(flag.value) if flag is not None else False)


def declared(props: dict[str, str]) -> Deadline | None:
    """The deadline a timer's properties declare, or None when they declare none."""
    if not props.get(ANCHOR) and not props.get(PERIOD):
        return None
    return Deadline(props.get(ANCHOR, ""), props.get(PERIOD, ""), props.get(WORKING_DAY, "").lower() in (YES, "true"))


def problems(props: dict[str, str], timer_expression: str | None) -> list[str]:
    """What is wrong with a declared deadline (Norwegian, for the process owner); empty when fine."""
    d = declared(props)
    if d is None:
        return []
    out = []
    if not _NAME.match(d.anchor):
        out.append("fristen mangler ankerdato (velg hvilken dato fristen regnes fra)")
    try:
        parse_period(d.period)
    except DeadlineError as exc:
        out.append(f"fristens periode: {exc}")
    if not out and parse_expression(timer_expression) != d:
        out.append(f"tidsuttrykket «{timer_expression or ''}» stemmer ikke med fristen; ventet «{expression(d)}»")
    return out


def _timers(data: bytes):
    """(element, its properties, its timer expression) for every timer event of a diagram."""
    from lxml import etree

    from engine.bpmn.catalog import BPMN_NS, SPIFF_NS, hardened_parser
    root = etree.fromstring(data, hardened_parser())
    for ed in root.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        el = ed.getparent()
        props = {p.get("name", ""): p.get("value", "") for p in el.iterfind(f".//{{{SPIFF_NS}}}property")}
        when = ed.find(f"{{{BPMN_NS}}}timeDate")
        yield el, props, (when.text or "").strip() if when is not None else None


def catalogue(files: dict[str, bytes]) -> dict[str, Deadline]:
    """The deadline catalogue: every ``frist`` key of the given diagrams with the anchor and period
    its timer runs (what the panel offers to pick; the first definition of a key wins)."""
    out: dict[str, Deadline] = {}
    for name in sorted(files):
        if not name.lower().endswith(".bpmn"):
            continue
        try:
            timers = list(_timers(files[name]))
        except Exception:  # noqa: BLE001 — a broken diagram contributes nothing; validation says why
            continue
        for _el, props, when in timers:
            d = declared(props) or parse_expression(when)
            if props.get("frist") and d is not None and props["frist"] not in out:
                out[props["frist"]] = d
    return out


def check_diagram(name: str, data: bytes) -> list:
    """Problems of declared deadlines in one diagram, each naming its element and line."""
    from engine.errors import Problem
    try:
        timers = list(_timers(data))
    except Exception:  # noqa: BLE001 — the catalog reports unreadable XML
        return []
    return [Problem(name, f"«{el.get('name') or el.get('id')}»: {text}", el.sourceline, el.get("id"))
            for el, props, when in timers for text in problems(props, when)]
