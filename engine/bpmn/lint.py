"""Checks of a parsed deployment beyond what SpiffWorkflow checks: forms, roles, scripts, timers —
and the rules of the routine «Fra institusjon til bolig» for *that* process only.

Any process: a form a task names must be in the deployment, a ``rolle`` must be known, every
expression must pass the sandbox's static check, a constant timer must be a valid date/duration.
A human task without a form is fine (it gets a plain «Fullfør» with an optional comment).

The routine (:data:`ROUTINE_PROCESSES`, Fellesskriv 3/2021) also needs: every human task in the lane
of one of its three parties (bydel, institusjon, beboer), a form on every user task (what was done
is recorded), and every deadline (``frist`` property) counted from an anchor date with
``frist(anker, "P…")``.  Pure: no Flask, no database.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.bpmn import deadlines, lanes, parties, scripts
from engine.bpmn import spec as spec_mod
from engine.bpmn.spec import FORM_PROPERTY, UI_FORM_PROPERTY
from engine.errors import Problem

#: The processes of the routine «Fra institusjon til bolig»: the main process and those it calls.
ROUTINE_PROCESSES = frozenset({
    "institusjon_til_bolig", "opphold_pa_institusjon", "boligavklaring", "fristvakt_innflytting",
    "samarbeidsmoter", "evaluering", "livskvalitet_aar"})
ROUTINE_NAME = "Fra institusjon til bolig"

LineOf = Callable[[str, str | None], int | None]


def lint(specs: list, forms: dict[str, dict], line_of: LineOf) -> Iterable[Problem]:
    """Every problem of the given process specs (already mapped to parties by ``engine.bpmn.parties``)."""
    for process_spec in specs:
        file = getattr(process_spec, "file", "") or "-"
        routine = process_spec.name in ROUTINE_PROCESSES
        for ts in process_spec.task_specs.values():
            element_id = getattr(ts, "bpmn_id", None)
            if element_id is None:
                continue
            line = line_of(file, element_id)
            if getattr(ts, "manual", False):
                yield from _human_task(ts, file, line, forms, routine)
            if type(ts).__name__ == "ScriptTask" and not (getattr(ts, "script", None) or "").strip():
                yield Problem(file, "skriptoppgaven har ikke noe skript; skriv skriptet eller gjør den til en "
                                    "vanlig oppgave", line, element_id)
            for mode, source in _expressions(ts):
                reason = scripts.check_source(source, mode)
                if reason:
                    yield Problem(file, f"uttrykket/skriptet er ikke tillatt: {reason}", line, element_id)
            ed = getattr(ts, "event_definition", None)
            if isinstance(ed, TimerEventDefinition):
                reason = _check_timer_literal(ed)
                if reason:
                    yield Problem(file, reason, line, element_id)
                elif routine and spec_mod.properties(ts).get("frist") and not _anchored(ed.expression or ""):
                    yield Problem(file, f"en frist i rutinen «{ROUTINE_NAME}» regnes fra en ankerdato: skriv "
                                        "tidsuttrykket som frist(innflytting, \"P14D\") (Fellesskriv 3/2021)",
                                  line, element_id)


def _human_task(ts: Any, file: str, line: int | None, forms: dict[str, dict], routine: bool) -> Iterable[Problem]:
    element_id = ts.bpmn_id
    kind = parties.human_kind(ts)
    if routine and ts.lane not in lanes.LANES:
        yield Problem(file, f"i rutinen «{ROUTINE_NAME}» må {kind} ligge i banen til en av de tre partene "
                            f"({', '.join(lanes.LANES)}), ikke «{ts.lane}» (Fellesskriv 3/2021)", line, element_id)
    props = spec_mod.properties(ts)
    form = props.get(FORM_PROPERTY)
    if not form:
        if routine:
            yield Problem(file, f"i rutinen «{ROUTINE_NAME}» må {kind} ha et skjema (egenskapen {FORM_PROPERTY}), "
                                "så det som ble gjort, blir registrert", line, element_id)
    elif form not in forms:
        yield Problem(file, f"skjemaet «{form}» finnes ikke i utrullingen", line, element_id)
    ui = props.get(UI_FORM_PROPERTY)
    if ui and ui not in forms:
        yield Problem(file, f"UI-skjemaet «{ui}» finnes ikke i utrullingen", line, element_id)
    role = props.get("rolle")
    if role and role not in lanes.TASK_ROLES:
        yield Problem(file, f"ukjent rolle «{role}»; bruk {', '.join(lanes.TASK_ROLES)}", line, element_id)


def _anchored(expression: str) -> bool:
    """Whether a timer expression counts from an anchor: ``frist(anker, …)`` / ``frist_dato(anker, …)``."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("frist", "frist_dato")
               and n.args for n in ast.walk(tree))


def _expressions(ts) -> Iterable[tuple[str, str]]:
    """(mode, source) for everything the engine will evaluate on this task spec."""
    if getattr(ts, "script", None):
        yield "exec", ts.script
    ext = getattr(ts, "extensions", None) or {}
    for key in ("preScript", "postScript"):
        if ext.get(key):
            yield "exec", ext[key]
    for cond in (getattr(ts, "cond_task_specs", None) or []):
        if cond[0]:   # a _BpmnCondition: its expression text is its first argument
            text = cond[0].args[0] if getattr(cond[0], "args", None) else cond[0]
            if isinstance(text, str):
                yield "eval", text
    ed = getattr(ts, "event_definition", None)
    if isinstance(ed, TimerEventDefinition) and ed.expression:
        yield "eval", ed.expression


def _check_timer_literal(ed: TimerEventDefinition) -> str | None:
    """Refuse a timer whose expression is a constant that is not a valid date, duration or cycle.

    Expressions over case data (``frist(innflytting, "P14D")``) can only be checked when they run;
    the service records a failure then as a broken timer.
    """
    expression = (ed.expression or "").strip()
    if not expression:
        return "tidsuttrykket er tomt"
    try:
        value = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        try:
            ast.parse(expression, mode="eval")
        except SyntaxError as exc:
            return f"tidsuttrykket kan ikke tolkes: {exc.msg}"
        return _check_frist_period(expression)   # otherwise an expression over data: checked at run time
    if not isinstance(value, str):
        return f"tidsuttrykket må gi tekst (ISO 8601), ikke {type(value).__name__}"
    try:
        if isinstance(ed, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
        elif isinstance(ed, TimeDateEventDefinition):
            TimerEventDefinition.parse_time_or_duration(value)
        elif isinstance(ed, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
    except Exception:  # noqa: BLE001 - the engine raises a bare Exception here
        return f"«{value}» er ikke en gyldig ISO 8601-dato/varighet"
    return None


def _check_frist_period(expression: str) -> str | None:
    """``frist(anker, "P14D")`` with a constant period: the period is known now, so check it now."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("frist", "frist_dato")
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
            try:
                deadlines.parse_period(str(node.args[1].value))
            except deadlines.DeadlineError as exc:
                return f"ugyldig frist i tidsuttrykket: {exc}"
    return None

