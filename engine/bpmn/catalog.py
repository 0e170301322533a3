"""Load, validate and lint deployments; parse each diagram once per version.

A deployment is a set of files (BPMN, DMN, JSON Schema forms). :func:`load_files` either returns a
:class:`Catalog` of ready-to-run :class:`SpecBundle` objects or raises ``DeploymentInvalid`` listing
*every* problem found (file, line, element id, reason); it never returns half a result.

Safety: uploads are parsed with a hardened lxml parser (no entities, no DTD, no network, no huge
trees) before SpiffWorkflow sees them, because SpiffWorkflow parses with lxml's defaults.
No Flask, no database.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from engine.bpmn import lint as lint_mod
from engine.bpmn import messages as messages_mod
from engine.bpmn import parties as parties_mod
from engine.bpmn import refusals
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


def parse_xml(name: str, data: bytes, problems: list[Problem]) -> etree._Element | None:
    """Parse one XML upload safely, recording (not raising) what is wrong with it."""
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(name, f"filen er for stor ({len(data)} byte, grensen er {MAX_FILE_BYTES})"))
        return None
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        problems.append(refusals.syntax_problem(name, data, exc.msg, exc.lineno))
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
        return [refusals.xsd_problem(name, root, err.message, err.line) for err in VALIDATOR.validator.error_log]


def load_files(files: dict[str, bytes], allow_scripts: bool = True) -> Catalog:
    """Validate and parse a deployment; raise ``DeploymentInvalid`` with every problem found."""
    problems: list[Problem] = []
    if not files:
        raise DeploymentInvalid([Problem("-", "ingen filer i utrullingen")])
    roots: dict[str, etree._Element] = {}
    parsed: dict[str, etree._Element] = {}      # every well-formed file, to name the elements of refusals
    forms: dict[str, dict] = {}
    for name, data in files.items():
        kind = _kind(name)
        if kind in ("bpmn", "dmn"):
            root = parse_xml(name, data, problems)
            if root is None:
                continue
            parsed[name] = root
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
    lane_parties: dict[str, parties_mod.FileParties] = {}
    for name, root in roots.items():
        try:
            if _kind(name) == "dmn":
                parser.add_dmn_xml(root, filename=name)
            else:
                lane_parties[name] = parties_mod.read(name, root, problems)
                parser.add_bpmn_xml(root, filename=name)
        except Exception as exc:  # noqa: BLE001 - any parser crash is a refusal, not a 500
            problems.extend(refusals.translate(exc, name, roots))

    lines: dict[str, dict[str, int]] = {}

    def line_of(file: str, element_id: str | None) -> int | None:
        """The source line of an element, from one pass over the file (a refusal or a lint finding
        names it; the real routine asks about 500 times per deploy)."""
        if file not in roots or not element_id:
            return None
        if file not in lines:
            lines[file] = {}
            for el in roots[file].iter():
                ident = el.get("id") if isinstance(el.tag, str) else None
                if ident and ident not in lines[file]:
                    lines[file][ident] = el.sourceline
        return lines[file].get(element_id)

    bundles: dict[str, SpecBundle] = {}
    has_scripts = False
    scripted: tuple[str, str] | None = None
    if not problems:
        try:
            process_ids = parser.get_process_ids()
        except ValidationException as exc:
            process_ids = []
            problems.extend(refusals.translate(exc, next(iter(roots), "-"), roots))
        if not process_ids and not problems:
            problems.append(Problem(next(iter(roots), "-"), "ingen kjørbar prosess (isExecutable) i utrullingen"))
        mapped: set[int] = set()
        for key in process_ids:
            try:
                spec = parser.get_spec(key)
                subs = parser.get_subprocess_specs(key)
            except Exception as exc:  # noqa: BLE001 - any parser crash is a refusal, not a 500
                problems.extend(refusals.translate(exc, _file_of(roots, key), roots))
                continue
            all_specs = [spec, *[s for s in subs.values() if s is not None]]
            fresh = [s for s in all_specs if id(s) not in mapped]
            mapped |= {id(s) for s in fresh}
            problems.extend(parties_mod.apply(fresh, lane_parties, line_of))
            problems.extend(lint_mod.lint(all_specs, forms, line_of))
            has_scripts = has_scripts or any(_spec_has_scripts(s) for s in all_specs)
            scripted = scripted or next((_scripted(s) for s in all_specs if _scripted(s)), None)
            schemas, message_problems = messages_mod.resolve(all_specs, forms, line_of)
            problems.extend(message_problems)
            used = {f for s in all_specs for f in _form_files(s)} | set(schemas.values())
            bundles[key] = SpecBundle(key, spec.description or key, spec, subs,
                                      {f: forms[f] for f in used if f in forms}, schemas)
    if has_scripts and not allow_scripts and not problems:
        file, element_id = scripted or (next(iter(roots), "-"), None)
        problems.append(Problem(file, "diagrammet inneholder skript, og du har ikke lov til å rulle ut skript; "
                                      "en administrator kan gi deg rollen «skriptbetrodd»",
                                line_of(file, element_id), element_id))
    problems = refusals.name_problems(dict.fromkeys(problems), parsed)   # de-duplicated, each naming its element
    if problems:
        raise DeploymentInvalid(problems)
    return Catalog(dict(files), bundles, content_hash(files), has_scripts)


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
    refusal = _schema_refusal(data)
    if refusal:
        problems.append(Problem(name, refusal))
        return None
    return schema


@lru_cache(maxsize=512)
def _schema_refusal(data: bytes) -> str | None:
    """Why a form schema is not a valid JSON Schema, or None.  Checking a schema against the 2020-12
    meta-schema costs about 40 ms, and the routine's 27 forms are the same bytes on every deploy
    (a process owner changes one diagram, the forms stay): the answer is kept per content."""
    try:
        Draft202012Validator.check_schema(json.loads(data))
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path) or "(rot)"
        return f"ugyldig JSON Schema ved {path}: {exc.message}"
    return None


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


def _scripted(process_spec) -> tuple[str, str] | None:
    """(file, element id) of the first element with a script, for the refusal to point at."""
    for ts in process_spec.task_specs.values():
        ext = getattr(ts, "extensions", None) or {}
        if getattr(ts, "bpmn_id", None) and (getattr(ts, "script", None) or ext.get("preScript")
                                             or ext.get("postScript")):
            return getattr(process_spec, "file", "") or "-", ts.bpmn_id
    return None


def _file_of(roots: dict[str, etree._Element], process_id: str) -> str:
    """The uploaded file that holds a process (for a refusal about it)."""
    for name, root in roots.items():
        if root.xpath("//*[local-name()='process'][@id=$id]", id=process_id):
            return name
    return next(iter(roots), "-")
