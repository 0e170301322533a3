"""What the case page shows, assembled from the case's projections and audit trail.

Owns the words: audit events become sentences in Norwegian, timers become deadlines with due
dates and overdue marks, completed tasks become read-only answers with their form's titles, and
the diagram gets its markers (current, done, overdue).  Reads; changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine import cases, clock, forms
from engine.access import consent, users
from engine.bpmn import lanes, spec
from engine.bpmn.lanes import Actor
from engine.cases import visibility
from engine.processes import deployments
from engine.store.models import AuditEvent, Case, OpenTask, Timer
from engine.timers import deadline_changes
from engine.web import formrender, withheld
from engine.web.i18n import _, format_due

STATUS_WORDS = {"running": "Pågår", "completed": "Avsluttet", "error": "Stoppet – feil", "suspended": "På vent",
                "terminated": "Avbrutt"}
LANE_WORDS = {"bydel": "Bydelen", "institusjon": "Institusjonen", "beboer": "Beboeren"}


def element_names(case: Case) -> dict[str, str]:
    """Element id → its name in the diagram (for the main process and the processes it calls)."""
    return spec.element_names(deployments.bundle_for(case.process_version_id))


def timer_hosts(case: Case) -> dict[str, str]:
    """Boundary timer element id → the element id of the activity it is attached to (so a moved
    deadline is named after its task, not after its timer)."""
    return spec.timer_hosts(deployments.bundle_for(case.process_version_id))


def element_form(case: Case, element_id: str | None) -> dict | None:
    """The JSON Schema a user task asked for (to title its answers on the case page)."""
    if not element_id:
        return None
    bundle = deployments.bundle_for(case.process_version_id)
    return bundle.form(spec.element_form(bundle, element_id))


def diagram_xml(case: Case, process_key: str | None = None) -> str | None:
    """The BPMN file of the case's version that defines its process — or, for a drill-down, one
    of the processes it calls (``process_key``; None if the case's version calls no such process)."""
    pv = case.process_version
    key = process_key or pv.process_key
    if key != pv.process_key and key not in spec.called_processes(deployments.bundle_for(pv.id)):
        return None
    files = pv.deployment.files or {}
    needle = f'id="{key}"'
    for name in sorted(files):
        if name.lower().endswith(".bpmn") and needle in files[name]:
            return files[name]
    return None


def _overdue(due: datetime | None, flagged: datetime | None = None) -> bool:
    return flagged is not None or (due is not None and clock.as_utc(due) < clock.now())


@dataclass
class Deadline:
    key: str | None
    title: str
    due_at: datetime | None
    overdue: bool
    state: str          # waiting | overdue | open-task
    element_id: str | None = None
    history: list[Any] = field(default_factory=list)
    move_key: str | None = None     # set when the deadline is a waiting timer that can be moved


def deadlines(case: Case, names: dict[str, str], tasks: list[OpenTask], timers: list[Timer],
              events: list[AuditEvent], history: list[Any] | None = None) -> list[Deadline]:
    """Every deadline of the case: waiting deadline timers, open tasks with a due date, and the
    deadlines already missed (from the audit trail), earliest first."""
    out: list[Deadline] = []
    seen_hosts = set()
    for t in timers:
        if t.kind != "deadline":
            continue
        host = names.get(t.host_element_id or "", t.host_element_id or t.name or t.element_id)
        out.append(Deadline(t.deadline_key, host, t.due_at, _overdue(t.due_at), "waiting", t.host_element_id,
                            [h for h in (history or []) if h.timer_task_id == t.task_id], t.deadline_key or t.task_id))
        seen_hosts.add(t.host_task_id)
    for task in tasks:
        if task.due_at and task.id not in seen_hosts:
            out.append(Deadline(None, task.name or task.element_id, task.due_at, _overdue(task.due_at, task.overdue_at),
                                "overdue" if task.overdue_at else "open-task", task.element_id))
            seen_hosts.add(task.id)
    for e in events:
        if e.type == "deadline.overdue" and e.task_id not in seen_hosts:
            due = (e.data or {}).get("due_at")
            out.append(Deadline((e.data or {}).get("deadline"), names.get(e.element_id or "", e.element_id or ""),
                                datetime.fromisoformat(due) if due else None, True, "overdue", e.element_id))
            seen_hosts.add(e.task_id)
    far = datetime.max.replace(tzinfo=clock.UTC)
    return sorted(out, key=lambda d: clock.as_utc(d.due_at) if d.due_at else far)


def user_names(events: list[AuditEvent]) -> dict[int, str]:
    ids = {e.actor_id for e in events if e.actor_id} | {e.on_behalf_of_id for e in events if e.on_behalf_of_id}
    if not ids:
        return {}
    return users.display_names(ids)


def describe(e: AuditEvent, names: dict[str, str], people: dict[int, str],
             hosts: dict[str, str] | None = None) -> str | None:
    """One audit event as a sentence (None: bookkeeping nobody needs to read)."""
    d = e.data or {}
    who = people.get(e.actor_id or 0, _("systemet"))
    what = d.get("name") or names.get(e.element_id or "", e.element_id or "")
    if e.type == "case.opened":
        return _("Saken ble opprettet av %(who)s.", who=who)
    if e.type == "task.created":
        lane = str(d.get("lane") or "–")
        return _("Ny oppgave: «%(what)s» (%(lane)s).", what=what, lane=_(LANE_WORDS.get(lane, lane)))
    if e.type == "task.completed":
        if e.on_behalf_of_id or d.get("on_behalf_of_resident"):
            return _("«%(what)s» ble fullført av %(who)s på vegne av beboeren.", what=what, who=who)
        return _("«%(what)s» ble fullført av %(who)s.", what=what, who=who)
    if e.type == "task.draft_saved":
        return _("%(who)s lagret et utkast til «%(what)s».", who=who, what=what)
    if e.type == "task.claimed":
        return _("%(who)s tok oppgaven «%(what)s».", who=who, what=what)
    if e.type == "task.unclaimed":
        return _("%(who)s la tilbake oppgaven «%(what)s».", who=who, what=what)
    if e.type == "deadline.overdue":
        return _("Fristen for «%(what)s» (%(due)s) gikk ut.", what=what, due=format_due(d.get("due_at")))
    if e.type == "task.cancelled":
        return _("«%(what)s» ble lukket uten å bli gjort: den trengs ikke lenger.", what=what)
    if e.type == "milestone.reached":
        return _("%(what)s.", what=names.get(e.element_id or "", d.get("name") or d.get("milestone") or ""))
    if e.type in ("deadline.moved", "deadline.changed"):
        host = names.get((hosts or {}).get(e.element_id or "", ""), "") or names.get(d.get("steg") or "", "")
        return _("%(who)s flyttet fristen for «%(what)s» til %(due)s. Begrunnelse: %(reason)s",
                 who=who, what=host or d.get("deadline") or what, due=format_due(d.get("new_due_at") or d.get("due_at")),
                 reason=d.get("reason") or "–")
    if e.type == "message.received":
        return _("Hendelse mottatt: %(name)s.", name=str(d.get("name", "")).replace("_", " "))
    if e.type == "timer.broken":
        return _("En tidsfrist mangler dato, og administrator er varslet.")
    if e.type == "case.completed":
        return _("Saken ble avsluttet.")
    if e.type == "case.error":
        return _("Prosessen stoppet med en feil ved «%(what)s». En administrator kan rette den.", what=what)
    if e.type in ("case.repaired", "case.retried"):
        return _("En administrator rettet saken.")
    if e.type.startswith("consent."):
        return withheld.describe_event(e.type, who, d, bool(e.on_behalf_of_id))
    if e.type == "meeting.planned":
        return _("%(who)s planla møtet til «%(what)s» og sendte invitasjoner.", who=who, what=what)
    if e.type == "meeting.moved":
        return _("%(who)s flyttet møtet til «%(what)s» og sendte oppdaterte invitasjoner.", who=who, what=what)
    if e.type == "meeting.cancelled":
        return _("%(who)s avlyste møtet til «%(what)s».", who=who, what=what)
    return None


def timeline(events: list[AuditEvent], names: dict[str, str], people: dict[int, str],
             hosts: dict[str, str] | None = None) -> list[tuple[datetime, str]]:
    out = []
    for e in events:
        text = describe(e, names, people, hosts)
        if text:
            out.append((e.at, text))
    return out


@dataclass
class Answer:
    title: str
    at: datetime
    by: str
    on_behalf: bool
    fields: list[formrender.Field]
    withheld: list[str] = field(default_factory=list)   # «Holdt tilbake: …», one sentence per reason
    form: str | None = None                             # the form file answered (Min side picks the resident's)
    step: str | None = None                             # the element id (None: the start form)


def completed_forms(case: Case, events: list[AuditEvent], names: dict[str, str], people: dict[int, str],
                    data: dict[str, Any], rd: consent.Reader) -> list[Answer]:
    """The answers given in each completed task, read-only, titled by the task's own form — as far
    as ``rd`` may see them (``engine.access.consent``); what is held back is said, not shown."""
    out = []
    known = visibility.elements(case)
    first = visibility.start_form(case)
    for e in events:
        if e.type not in ("task.completed", "case.opened"):
            continue
        d = e.data or {}
        opened = e.type == "case.opened"     # the start form (the bydel's henvisning)
        schema = case_form(case, first) if opened else case_form(case, d.get("form")) or element_form(case, e.element_id)
        keys = d.get("fields") or []
        if schema is None and not opened and d.get("form") is None and keys == ["kommentar"]:
            schema = forms.FORMLESS_SCHEMA          # a task without a form: its comment (#18)
        if not schema or not keys or visibility.hidden_element(rd, e.element_id, known):
            continue
        who = consent.Source.form(lanes.BYDEL, first) if opened else visibility.event_source(e, known)
        form = first if opened else d.get("form") or known.get(e.element_id or "", (None, None))[0]
        # What was answered then (kept with the event); older events fall back to the case's data.
        source = d["values"] if isinstance(d.get("values"), dict) else {k: data[k] for k in keys if k in data}
        shown, held = visibility.filter_values(rd, who, source)
        if not shown and not held:
            held = visibility.withheld_groups(rd.decide(who, k) for k in keys)
        subset = {**schema, "properties": {k: v for k, v in (schema.get("properties") or {}).items() if k in shown}}
        title = (schema.get("title") or _("Henvisning")) if opened else names.get(e.element_id or "", d.get("name") or "")
        out.append(Answer(title or e.element_id or "", e.at,
                          people.get(e.actor_id or 0, ""), bool(e.on_behalf_of_id),
                          formrender.build(subset, None, shown, None) if shown else [],
                          [withheld.reason(h) for h in held], form, None if opened else e.element_id))
    return out


@dataclass
class FormHistory:
    """One form of the case as the page shows it: the latest answer first, earlier ones (revisions,
    a loop's earlier rounds) newest first, folded as history."""

    latest: Answer
    earlier: list[Answer] = field(default_factory=list)


def form_histories(answers: list[Answer], keys: list[tuple[str | None, str | None]]) -> list[FormHistory]:
    """Answers grouped by what was answered (``keys[i]``: the form and the step of ``answers[i]``),
    in the order each was first answered (the order of the case), each group's latest first."""
    groups: dict[tuple[str | None, str | None], list[Answer]] = {}
    for key, a in zip(keys, answers, strict=True):
        groups.setdefault(key, []).append(a)
    return [FormHistory(rounds[-1], list(reversed(rounds[:-1]))) for rounds in groups.values()]


def case_form(case: Case, filename: str | None) -> dict | None:
    """A form of the case's own process version, by file name."""
    return deployments.bundle_for(case.process_version_id).form(filename) if filename else None


def _call_activities(case: Case):
    """Element id → the ids to mark in the drawn (main) process (see ``engine.bpmn.spec.lift_to_main``)."""
    return spec.lift_to_main(deployments.bundle_for(case.process_version_id))


def _done_elements(events: list[AuditEvent]) -> list[str]:
    done: list[str] = []
    for e in events:
        if e.type in ("task.completed", "timer.fired", "message.received") and e.element_id and e.element_id not in done:
            done.append(e.element_id)
    return done


def _marks(lift: Any, tasks: list[OpenTask], done_ids: list[str], dls: list[Deadline]) -> dict[str, list[str]]:
    current = sorted({e for t in tasks for e in lift(t.element_id)})
    overdue = sorted({e for d in dls if d.overdue and d.element_id for e in lift(d.element_id)})
    done: list[str] = []
    for d in done_ids:
        done += [e for e in lift(d) if e not in done]
    return {"current": current, "done": [d for d in done if d not in current], "overdue": overdue}


def markers(case: Case, tasks: list[OpenTask], events: list[AuditEvent], dls: list[Deadline]) -> dict[str, list[str]]:
    """Element ids for bpmn-js in the main process: what is open now, what has been done, and what is overdue."""
    return _marks(_call_activities(case), tasks, _done_elements(events), dls)


def diagrams(case: Case, tasks: list[OpenTask], events: list[AuditEvent], dls: list[Deadline]) -> dict[str, Any]:
    """What the diagram needs to draw the main process and drill down into every process it calls.

    Per process: its name, markers (a task inside a called process marks it in its own drawing
    and the call activities above it in the others) and the due dates to show on the steps that
    have a waiting deadline (Oslo days).  ``calls``: call activity → the process it opens;
    ``now``: the processes from the main one down to the one the first open task runs in (where
    «Vis oppgaven» drills to).
    """
    bundle = deployments.bundle_for(case.process_version_id)
    names = spec.process_names(bundle)
    main = case.process_version.process_key
    done_ids = _done_elements(events)
    upcoming = [d for d in dls if d.element_id and d.due_at and d.state != "overdue"] + \
               [d for d in dls if d.element_id and d.due_at and d.state == "overdue"]
    processes: dict[str, Any] = {}
    for key in names:
        lift = spec.lift_to(bundle, key)
        due: dict[str, str] = {}
        for d in upcoming:
            for eid in lift(d.element_id or ""):
                if eid == d.element_id:      # a deadline is drawn on its own step, not on the call above it
                    due.setdefault(eid, (_("over fristen %(due)s", due=format_due(d.due_at)) if d.overdue
                                         else _("frist %(due)s", due=format_due(d.due_at))))
        processes[key] = {"name": names[key], "markers": _marks(lift, tasks, done_ids, dls), "due": due}
    now = [main]
    calls = spec.call_activities(bundle)
    while True:
        inner = [calls[e] for e in processes[now[-1]]["markers"]["current"] if e in calls and calls[e] in processes]
        if not inner or inner[0] in now:
            break
        now.append(inner[0])
    return {"main": main, "processes": processes, "calls": calls, "now": now}


#: The routine's timer that ends the transition after T1 (the institution's part ends at its midnight).
TRANSITION_END = "overgang_over"


@dataclass
class Waiting:
    """A timer the case waits for (not a deadline): what it is and when it comes (UTC, shown in Oslo)."""

    title: str
    due_at: datetime | None
    element_id: str


def waiting(timers: list[Timer], names: dict[str, str]) -> list[Waiting]:
    """The case's waiting timers that are not deadlines (the end of the transition, the next
    meeting's reminder …), soonest first — the deadlines have their own table."""
    return [Waiting(names.get(t.element_id, t.name or t.element_id), t.due_at, t.element_id)
            for t in timers if t.kind != "deadline"]


def transition_end(timers: list[Timer], events: list[AuditEvent]) -> tuple[datetime | None, bool]:
    """(when the transition after T1 ends, whether it has ended) — None while it is not yet armed."""
    for t in timers:
        if t.element_id == TRANSITION_END and t.due_at is not None:
            return t.due_at, False
    for e in events:
        if e.type == "timer.fired" and e.element_id == TRANSITION_END:
            return e.at, True
    return None, False


def status_word(case: Case) -> str:
    return _(STATUS_WORDS.get(case.status, case.status))


def deadline_history(case: Case) -> list[Any]:
    """Every agreed move of the case's deadlines, oldest first."""
    return deadline_changes.changes_of(case.id)


@dataclass
class Milestone:
    title: str
    at: datetime


def milestones(events: list[AuditEvent], names: dict[str, str]) -> list[Milestone]:
    """What the case has passed (T0 confirmed, moved out, the institution's part ended …), oldest first."""
    return [Milestone(names.get(e.element_id or "", (e.data or {}).get("name") or ""), e.at)
            for e in events if e.type == "milestone.reached"]


def view(case: Case, actor: Actor) -> dict[str, Any]:
    """Everything the case page template needs, in one dict — as ``actor`` may see it."""
    rd = visibility.reader(actor, case)
    names = element_names(case)
    tasks = visibility.tasks(rd, cases.case_tasks(case))
    timers = visibility.timers(rd, case, cases.case_timers(case))
    events = cases.case_events(case)
    people = user_names(events)
    dls = deadlines(case, names, tasks, timers, events, deadline_history(case))
    data = cases.case_data(case)
    answers = completed_forms(case, events, names, people, data, rd)
    ends_at, ended = transition_end(timers, events)
    return {"case": case, "tasks": tasks, "deadlines": dls, "timeline": timeline(events, names, people, timer_hosts(case)),
            "answers": answers, "forms": form_histories(answers, [(a.form, a.step) for a in answers]),
            "markers": markers(case, tasks, events, dls), "diagrams": diagrams(case, tasks, events, dls),
            "waiting": waiting(timers, names), "transition_end": ends_at, "transition_ended": ended,
            "status": status_word(case), "names": names, "anchors": case.anchors or {},
            "milestones": milestones(events, names),
            "consent": withheld.summary(rd.grant, rd.consent_state), "viewer": rd.viewer}
