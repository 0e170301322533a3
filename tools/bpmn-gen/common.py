"""Building blocks shared by the process generators: forms, deadline boundaries and deadline watches.

Two deadline patterns, both visible and editable in the diagrams:

* :func:`deadline` — a non-interrupting timer on the task that must be done, for deadlines whose
  anchor is known when the task opens (the offer opens the utflyttingsmøte, T1 opens the
  sluttrapport).
* :func:`watch` — a branch of the «Fristvakt» that is armed from the anchor date whether or not
  its step has opened (T0 is known at registration, the start phase may stall).  It re-arms when
  the signal ``t0_endret`` brings a new T0, and when it fires it asks the case whether the step is
  done (``fullfort``) before it gives the leader a follow-up that names what holds the step up.
"""
from __future__ import annotations

import ast
import re

from bpmnlayout import Diagram

FORM = "formJsonSchemaFilename"
UI = "formUiSchemaFilename"

ANSVAR = ("«Bydelene og Velferdsetaten v/institusjonene har et likeverdig ansvar for at fellesskrivet "
          "følges under oppholdet, samt ved og etter utflytting.» (FK 4)")
TILPASNING = ("(«Når institusjonen eller bydelen ser at det er behov for tilpasninger, kan det avtales andre "
              "tidsrammer» – FK 1)")

#: The signal that brings a new T0 (payload ``innflytting``) to every watch.
T0_SIGNAL = ("signal_t0_endret", "t0_endret", "innflytting", "innflytting")
#: The signal a meeting held outside the meeting loop sends it (payload: the meeting date).
MOTE_SIGNAL = ("signal_samarbeidsmote_holdt", "samarbeidsmote_holdt", "siste_mote_holdt", "siste_samarbeidsmote")
#: Offer registered: the bydel convenes from now on; the housing work before it is no longer needed.
MOTEANSVAR_SIGNAL = ("signal_moteansvar_til_bydel", "moteansvar_til_bydel", "bolig_tilbudt_dato", "moteansvar_fra")


#: How a diagram names the anchor dates of the deadlines (case-data variable → words on the timer).
ANCHORS = {"innflytting": "T0", "utflytting": "T1", "planlagt_utflytting": "planlagt T1",
           "bolig_tilbudt_dato": "tilbudet", "siste_samarbeidsmote": "siste møte",
           "siste_evaluering": "siste evaluering", "maling_frist": "31. mai", "rapport_frist": "30. juni",
           "rapport_fra": "1. juni", "botid_forlenget_til": "forlenget botid"}
_UNITS = {"Y": ("år", "år"), "M": ("måned", "måneder"), "W": ("uke", "uker"), "D": ("dag", "dager")}


def period_words(period: str) -> str:
    """``P14D`` → «14 dager», ``P2M2W`` → «2 måneder og 2 uker», ``P0D`` → «»."""
    parts = [(int(n), u) for n, u in re.findall(r"(\d+)([YMWD])", period) if int(n)]
    words = [f"{n} {_UNITS[u][0 if n == 1 else 1]}" for n, u in parts]
    return " og ".join(words)


def parse_frist(expr: str) -> tuple[str, str | None, bool] | None:
    """``frist(anker, "P14D"[, virkedag=True])`` → (anchor, period or None if not a literal, working day)."""
    try:
        call = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "frist"
            and call.args and isinstance(call.args[0], ast.Name)):
        return None
    period = call.args[1].value if len(call.args) > 1 and isinstance(call.args[1], ast.Constant) else None
    working = any(k.arg == "virkedag" and isinstance(k.value, ast.Constant) and k.value.value for k in call.keywords)
    return call.args[0].id, period, working


def timer_words(expr: str) -> str:
    """What a deadline timer says on the drawing: «T0 + 14 dager», «tilbudet + 5 dager (virkedag)», «30. juni»."""
    parsed = parse_frist(expr)
    if parsed is None:
        return ""
    anchor, period, working = parsed
    text = ANCHORS.get(anchor, anchor.replace("_", " "))
    if period is None:
        text += " + avtalt periode"
    elif period_words(period):
        text += f" + {period_words(period)}"
    return text + (" (virkedag)" if working else "")


def frist_props(key: str, expr: str, **extra: str) -> dict:
    """A deadline timer's properties: the key, and the FRIST-FORMAT declaration of #18 (anchor, period,
    working day) that the browser modeler's panel edits — derived from the expression the engine runs."""
    props = {"frist": key, **extra}
    parsed = parse_frist(expr)
    if parsed is not None and parsed[1] is not None:
        props.update({"frist_anker": parsed[0], "frist_periode": parsed[1]})
        if parsed[2]:
            props["frist_virkedag"] = "ja"
    return props


def rule_note(rule: str, limit: int = 190) -> str:
    """The rule as a text annotation: the quotation and its reference («…» (FK 2.2)), cut at a word."""
    m = re.match(r"\s*(«.*?»\s*\((?:FK|Fellesskriv|Oslostandard|M100)[^)]*\))", rule, re.S)
    text = " ".join((m.group(1) if m else rule).split())
    if len(text) <= limit:
        return text
    ref = re.search(r"\(([^()]*)\)\s*$", text)
    tail = f" ({ref.group(1)})" if ref else ""
    body = text[: limit - len(tail) - 2].rsplit(" ", 1)[0]
    return f"{body} …»{tail}" if body.startswith("«") else f"{body} …{tail}"


def form(name: str, ui: bool = True, **extra) -> dict:
    props = {FORM: f"{name}.schema.json"}
    if ui:
        props[UI] = f"{name}.uischema.json"
    props.update(extra)
    return props


def leader_doc(what: str, rule: str) -> str:
    return (f"Lederoppgave: fristen for «{what}» er passert. {rule} Avklar hva som skal til for at det blir gjort, "
            f"og om det er avtalt en annen tidsramme {TILPASNING}. {ANSVAR}")


def deadline(d: Diagram, host: str, key: str, expr: str, label: str, lane: str, rule: str, at: float = 0.25,
             place: tuple[float, float] | None = None):
    """Non-interrupting timer on ``host`` → leader's follow-up task (below the host, or at ``place``
    = (column, row) in ``lane``) → end."""
    h = d.nodes[host]
    col, row = place or (h.col, h.row + 1)
    b = d.add(f"frist_{host}", "boundaryEvent",
              f"Frist {timer_words(expr)}", h.lane, h.col, h.row, attached=host, cancel=False, at=at,
              event=("timer", expr), props=frist_props(key, expr),
              doc=f"Fristen for «{h.name}» er passert. {rule}")
    task = d.add(f"leder_{host}", "userTask", f"Følg opp frist: {label}", lane, col, row,
                 props=form("oppfolging-frist", rolle="leder"),
                 pre=f'frist_gjelder = "{h.name}"\nfrist_holdes_opp_av = ""',
                 doc=leader_doc(h.name, rule) + " Oppgaven er fortsatt åpen.")
    end = d.add(f"fulgt_opp_{host}", "endEvent", "Frist fulgt opp", lane, col + 0.7, row)
    d.flow(f"flyt_{b.id}", b.id, task.id)
    d.flow(f"flyt_{task.id}", task.id, end.id)
    return b


def watch(d: Diagram, w: dict, lane: str, row: float, col: float = 2) -> None:
    """One deadline watch: wait (re-armed by a new T0) → done? → else the leader follows up.

    ``w``: key, step (element id), label, period, rule, what (the step's name), blockers (element
    ids that must be done before the step can open, in order) and optionally ``settled_by`` (steps
    whose completion makes this one unnecessary, e.g. an offer makes the søknader moot).  The
    timer's properties ``steg`` and ``avklart_av`` tell the service the same, so a settled watch
    is not shown as a deadline.
    """
    k = w["key"]
    merge = d.add(f"vent_{k}", "exclusiveGateway", f"Vent på fristen: {w['label']}", lane, col, row)
    gate = d.add(f"venter_{k}", "eventBasedGateway", f"Frist eller ny T0: {w['label']}", lane, col + 1, row)
    expr = f'frist(innflytting, "{w["period"]}")'
    props = frist_props(k, expr, steg=w["step"])
    if w.get("settled_by"):
        props["avklart_av"] = ",".join(w["settled_by"])
    timer = d.add(f"frist_{k}", "intermediateCatchEvent", f"Frist {w['label']}: {timer_words(expr)}", lane,
                  col + 2, row, event=("timer", expr), props=props, label="below-right",
                  doc=f"Frist for «{w['what']}»: T0 + {w['human']}. {w['rule']}")
    new_t0 = d.add(f"ny_t0_{k}", "intermediateCatchEvent", "Ny innflyttingsdato (T0)", lane, col + 2, row + 0.6,
                   event=("signal", T0_SIGNAL[0]),
                   doc="Innflyttingen er registrert med en annen dato enn den planlagte: fristen regnes på nytt.")
    done = " or ".join(f'fullfort("{s}")' for s in [w["step"], *w.get("settled_by", [])])
    check = d.add(f"gjort_{k}", "exclusiveGateway", f"Gjort i tide? ({w['label']})", lane, col + 3, row,
                  doc=f"Ferdig når «{w['what']}» er fullført" + (" eller ikke lenger trengs (bolig er tilbudt)."
                                                                  if w.get("settled_by") else "."))
    ok = d.add(f"overholdt_{k}", "endEvent", "Fristen er overholdt", lane, col + 3, row + 0.6)
    blockers = ", ".join(f'"{b}"' for b in w.get("blockers", []))
    pre = f'frist_gjelder = "{w["what"]}"\nfrist_holdes_opp_av = '
    pre += f'"" if apen("{w["step"]}") else (holdes_opp_av({blockers}) or "")' if blockers else '""'
    leader = d.add(f"leder_{k}", "userTask", f"Følg opp frist: {w['label']}", lane, col + 4, row,
                   props=form("oppfolging-frist", rolle="leder"), pre=pre,
                   doc=leader_doc(w["what"], w["rule"]) + (" Har steget ikke startet, står det i oppgaven hvilket "
                                                           "tidligere steg som holder det opp." if blockers else ""))
    end = d.add(f"fulgt_opp_{k}", "endEvent", "Frist fulgt opp", lane, col + 5, row)
    d.flow(f"w_{k}_1", merge.id, gate.id)
    d.flow(f"w_{k}_2", gate.id, timer.id)
    d.flow(f"w_{k}_3", gate.id, new_t0.id)
    d.flow(f"w_{k}_4", timer.id, check.id)
    d.flow(f"w_{k}_ok", check.id, ok.id, name="Ja", cond=done)
    d.flow(f"w_{k}_nei", check.id, leader.id, name="Nei", default=True)
    d.flow(f"w_{k}_5", leader.id, end.id)
    d.annotate(f"regel_{k}", leader.id, rule_note(w["rule"]), lane, col + 5.5, row)


def route_watch_loops(d: Diagram, keys: list[str]) -> None:
    """After layout: the new-T0 catch goes back left and up into the merge before the wait."""
    for k in keys:
        s, m = d.nodes[f"ny_t0_{k}"], d.nodes[f"vent_{k}"]
        low = s.y + s.h + 14
        d.flow(f"w_{k}_igjen", s.id, m.id, via=[(s.cx, s.y + s.h), (s.cx, low), (m.cx, low), (m.cx, m.y + m.h)])
