"""Load, validate and lint deployments; parse each diagram once per version.

A deployment is a set of files (BPMN, DMN, JSON Schema forms). :func:`load_files` either returns a
:class:`Catalog` of ready-to-run :class:`SpecBundle` objects or raises ``DeploymentInvalid`` listing
*every* problem found (file, line, element id, reason); it never returns half a result.

Safety: uploads are parsed with a hardened lxml parser (no entities, no DTD, no network, no huge
trees) before SpiffWorkflow sees them, because SpiffWorkflow parses with lxml's defaults.
No Flask, no database.
"""
from __future__ import annotations

import ast
import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from engine.bpmn import deadlines, lanes, scripts
from engine.bpmn import messages as messages_mod
from engine.bpmn import spec as spec_mod
from engine.bpmn.spec import FORM_PROPERTY, UI_FORM_PROPERTY
from engine.errors import DeploymentInvalid, Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

#: Largest single file accepted; real diagrams are well under 1 MB.
MAX_FILE_BYTES = 5 * 1024 * 1024


_HARDENED = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                 remove_comments=False, dtd_validation=False)
_XSD_LOCK = threading.Lock()


def hardened_parser() -> etree.XMLParser:
    """A parser that cannot read files or the network and refuses entity tricks."""
    return etree.XMLParser(**_HARDENED)


@dataclass
class SpecBundle:
    """Everything needed to run one process: its spec, the specs it calls, its forms and message schemas.

    ``messages`` maps each message the process catches to its payload schema (a file in ``forms``);
    it is ``None`` for a version deployed before message schemas were resolved at deploy time.
    """

    process_key: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    forms: dict[str, dict] = field(default_factory=dict)
    messages: dict[str, str] | None = None

    def form(self, filename: str | None) -> dict | None:
        return self.forms.get(filename) if filename else None

    def accepts(self, message: str) -> bool:
        """Whether any process of the bundle catches this message."""
        return message in (self.messages or {})

    def message_schema(self, message: str) -> dict | None:
        """The JSON Schema a payload of this message must match (None: no schema known)."""
        return self.form((self.messages or {}).get(message))


@dataclass
class Catalog:
    """The validated result of one deployment."""

    files: dict[str, bytes]
    bundles: dict[str, SpecBundle]
    content_hash: str
    has_scripts: bool

    def bundle(self, process_key: str) -> SpecBundle:
        return self.bundles[process_key]


def content_hash(files: dict[str, bytes]) -> str:
    """Hash of the whole deployment, independent of upload order."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def _kind(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".bpmn") or lower.endswith(".bpmn20.xml"):
        return "bpmn"
    if lower.endswith(".dmn"):
        return "dmn"
    if lower.endswith(".json"):
        return "json"
    return "other"


def _line_of(root: etree._Element, element_id: str | None) -> int | None:
    if not element_id:
        return None
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


def parse_xml(name: str, data: bytes, problems: list[Problem]) -> etree._Element | None:
    """Parse one XML upload safely, recording (not raising) what is wrong with it."""
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(name, f"filen er for stor ({len(data)} byte, grensen er {MAX_FILE_BYTES})"))
        return None
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        problems.append(Problem(name, f"ugyldig XML: {exc.msg}", line=exc.lineno))
        return None
    if root.getroottree().docinfo.doctype:
        problems.append(Problem(name, "DOCTYPE er ikke tillatt i en prosessfil", line=1))
        return None
    return root


def _xsd_problems(name: str, root: etree._Element) -> list[Problem]:
    """All XSD errors (SpiffWorkflow's own validator reports only the last one)."""
    with _XSD_LOCK:
        VALIDATOR.preprocess(root)
        if VALIDATOR.validator.validate(root):
            return []
        return [Problem(name, f"BPMN-skjemafeil: {err.message}", line=err.line)
                for err in VALIDATOR.validator.error_log]


def load_files(files: dict[str, bytes], allow_scripts: bool = True) -> Catalog:
    """Validate and parse a deployment; raise ``DeploymentInvalid`` with every problem found."""
    problems: list[Problem] = []
    if not files:
        raise DeploymentInvalid([Problem("-", "ingen filer i utrullingen")])
    roots: dict[str, etree._Element] = {}
    forms: dict[str, dict] = {}
    for name, data in files.items():
        kind = _kind(name)
        if kind in ("bpmn", "dmn"):
            root = parse_xml(name, data, problems)
            if root is None:
                continue
            if kind == "bpmn":
                if root.tag != f"{{{BPMN_NS}}}definitions":
                    problems.append(Problem(name, "ikke en BPMN-fil (rotelementet er ikke bpmn:definitions)",
                                            line=root.sourceline))
                    continue
                xsd = _xsd_problems(name, root)
                if xsd:
                    problems.extend(xsd)
                    continue
            roots[name] = root
        elif kind == "json":
            schema = _load_form(name, data, problems)
            if schema is not None:
                forms[name] = schema
        else:
            problems.append(Problem(name, "ukjent filtype; bruk .bpmn, .dmn eller .json"))

    parser = SpiffBpmnParser(validator=None)   # XSD already checked above, with every error
    for name, root in roots.items():
        try:
            if _kind(name) == "dmn":
                parser.add_dmn_xml(root, filename=name)
            else:
                parser.add_bpmn_xml(root, filename=name)
        except ValidationException as exc:
            problems.append(_from_validation(exc, name, root))
        except Exception as exc:  # noqa: BLE001 - any parser crash is a refusal, not a 500
            problems.append(Problem(name, f"kan ikke lese diagrammet: {exc}"))

    bundles: dict[str, SpecBundle] = {}
    has_scripts = False
    if not problems:
        try:
            process_ids = parser.get_process_ids()
        except ValidationException as exc:
            process_ids = []
            problems.append(_from_validation(exc, exc.file_name or "-", roots.get(exc.file_name)))
        if not process_ids and not problems:
            problems.append(Problem(next(iter(roots), "-"), "ingen kjørbar prosess (isExecutable) i utrullingen"))
        for key in process_ids:
            try:
                spec = parser.get_spec(key)
                subs = parser.get_subprocess_specs(key)
            except ValidationException as exc:
                problems.append(_from_validation(exc, exc.file_name or "-", roots.get(exc.file_name)))
                continue
            except Exception as exc:  # noqa: BLE001
                problems.append(Problem("-", f"prosessen {key} kan ikke bygges: {exc}", element_id=key))
                continue
            all_specs = [spec, *[s for s in subs.values() if s is not None]]
            lint = list(_lint(all_specs, forms, roots))
            problems.extend(lint)
            has_scripts = has_scripts or any(_spec_has_scripts(s) for s in all_specs)
            schemas, message_problems = messages_mod.resolve(
                all_specs, forms, lambda file, element_id: _line_of(roots[file], element_id) if file in roots else None)
            problems.extend(message_problems)
            used = {f for s in all_specs for f in _form_files(s)} | set(schemas.values())
            bundles[key] = SpecBundle(key, spec.description or key, spec, subs,
                                      {f: forms[f] for f in used if f in forms}, schemas)
    if has_scripts and not allow_scripts and not problems:
        problems.append(Problem(next(iter(roots), "-"),
                                "diagrammet inneholder skript, og du har ikke lov til å rulle ut skript"))
    problems = list(dict.fromkeys(problems))   # de-duplicate, keep order
    if problems:
        raise DeploymentInvalid(problems)
    return Catalog(dict(files), bundles, content_hash(files), has_scripts)


def _from_validation(exc: ValidationException, name: str, root: etree._Element | None) -> Problem:
    element_id = getattr(exc, "id", "") or None
    raw_line = getattr(exc, "line_number", None)
    line = int(raw_line) if isinstance(raw_line, int) or (isinstance(raw_line, str) and raw_line.isdigit()) else None
    if not line and root is not None:
        line = _line_of(root, element_id)
    return Problem(getattr(exc, "file_name", "") or name, str(exc).split("\n")[0], line=line, element_id=element_id)


def _load_form(name: str, data: bytes, problems: list[Problem]) -> dict | None:
    try:
        schema = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, f"ugyldig JSON: {exc}"))
        return None
    if name.endswith(".uischema.json"):
        if not isinstance(schema, dict):
            problems.append(Problem(name, "et UI-skjema må være et JSON-objekt"))
            return None
        return schema
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path) or "(rot)"
        problems.append(Problem(name, f"ugyldig JSON Schema ved {path}: {exc.message}"))
        return None
    return schema


def _properties(task_spec: Any) -> dict[str, str]:
    return spec_mod.properties(task_spec)


def _form_files(process_spec) -> Iterable[str]:
    for ts in process_spec.task_specs.values():
        props = _properties(ts)
        for key in (FORM_PROPERTY, UI_FORM_PROPERTY):
            if props.get(key):
                yield props[key]


def _spec_has_scripts(process_spec) -> bool:
    for ts in process_spec.task_specs.values():
        ext = getattr(ts, "extensions", None) or {}
        if getattr(ts, "script", None) or ext.get("preScript") or ext.get("postScript"):
            return True
    return False


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


def _lint(specs: list, forms: dict[str, dict], roots: dict[str, etree._Element]) -> Iterable[Problem]:
    for process_spec in specs:
        file = getattr(process_spec, "file", "") or "-"
        root = roots.get(file)
        for ts in process_spec.task_specs.values():
            element_id = getattr(ts, "bpmn_id", None)
            if element_id is None:
                continue
            line = _line_of(root, element_id) if root is not None else None
            if getattr(ts, "manual", False):
                if ts.lane is None:
                    yield Problem(file, "brukeroppgaven ligger ikke i noen bane (lane)", line, element_id)
                elif ts.lane not in lanes.LANES:
                    yield Problem(file, f"ukjent bane «{ts.lane}»; bruk {', '.join(lanes.LANES)}", line, element_id)
                props = _properties(ts)
                form = props.get(FORM_PROPERTY)
                if not form:
                    yield Problem(file, f"brukeroppgaven mangler egenskapen {FORM_PROPERTY}", line, element_id)
                elif form not in forms:
                    yield Problem(file, f"skjemaet «{form}» finnes ikke i utrullingen", line, element_id)
                ui = props.get(UI_FORM_PROPERTY)
                if ui and ui not in forms:
                    yield Problem(file, f"UI-skjemaet «{ui}» finnes ikke i utrullingen", line, element_id)
                role = props.get("rolle")
                if role and role not in lanes.TASK_ROLES:
                    yield Problem(file, f"ukjent rolle «{role}»", line, element_id)
            for mode, source in _expressions(ts):
                reason = scripts.check_source(source, mode)
                if reason:
                    yield Problem(file, f"uttrykket/skriptet er ikke tillatt: {reason}", line, element_id)
                    continue
            ed = getattr(ts, "event_definition", None)
            if isinstance(ed, TimerEventDefinition):
                reason = _check_timer_literal(ed)
                if reason:
                    yield Problem(file, reason, line, element_id)


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
