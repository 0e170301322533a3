"""The browser modeler's use cases (#18): open a version or the draft, validate as you edit, save the
draft, deploy it as a new immutable version.

A draft holds every diagram of the deployment it started from (a process calls the others), plus
the forms the owner edited beside the diagram; forms not in the draft come from the forms folder at
validation and deploy, exactly as for an upload (``deployments.with_forms``).  Validation is the
deploy check without storing anything, plus the declared-deadline check of ``frist_props``.
Only process owners may model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from lxml import etree

from engine import clock
from engine.access import rules as access
from engine.bpmn import catalog, frist_props, lanes
from engine.bpmn.lanes import Actor
from engine.errors import Conflict, DeploymentInvalid, NotFound, Problem, Unprocessable
from engine.extensions import db
from engine.processes import deployments
from engine.store.drafts import ProcessDraft
from engine.store.models import ProcessVersion

MAX_FILES = 200


def require_owner(actor: Actor) -> None:
    access.require_role(actor, lanes.PROSESSEIER)


def defining_file(files: dict[str, Any], process_key: str) -> str | None:
    """The diagram of ``files`` that defines ``process_key`` (the one the modeler opens)."""
    for name in sorted(files):
        if not name.lower().endswith(".bpmn"):
            continue
        data = files[name].encode("utf-8") if isinstance(files[name], str) else files[name]
        try:
            root = etree.fromstring(data, catalog.hardened_parser())
        except etree.XMLSyntaxError:
            continue
        if root.find(f"{{{catalog.BPMN_NS}}}process[@id='{process_key}']") is not None:
            return name
    return None


def version_by_number(process_key: str, number: Any) -> ProcessVersion:
    try:
        n = int(number)
    except (TypeError, ValueError):
        raise Unprocessable("Ugyldig versjonsnummer.", {"version": ["Må være et tall."]}) from None
    pv = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.process_key == process_key,
                                                           ProcessVersion.version == n))
    if pv is None:
        raise NotFound(f"Fant ikke versjon {n} av prosessen.")
    return pv


def version_files(pv: ProcessVersion) -> dict[str, str]:
    """The files of a version's deployment (diagrams, DMN, forms) — what a draft of it starts from."""
    return dict(pv.deployment.files or {})


def get_draft(process_key: str) -> ProcessDraft | None:
    return db.session.scalar(sa.select(ProcessDraft).where(ProcessDraft.process_key == process_key))


def open_source(actor: Actor, process_key: str, version: Any = None) -> dict[str, Any]:
    """What the modeler opens: the draft (when there is one and no version is asked for), else the
    asked-for or newest version."""
    require_owner(actor)
    draft = get_draft(process_key) if version in (None, "") else None
    if draft is not None:
        files = dict(draft.files)
        base = db.session.get(ProcessVersion, draft.base_version_id) if draft.base_version_id else None
        source = {"kind": "draft", "revision": draft.revision, "updated_at": clock.as_utc(draft.updated_at).isoformat()}
    else:
        base = (version_by_number(process_key, version) if version not in (None, "")
                else deployments.latest_version(process_key))
        if base is None:
            raise NotFound("Prosessen har ingen utrullet versjon.")
        files = version_files(base)
        current = get_draft(process_key)
        source = {"kind": "version", "revision": current.revision if current else 0}
    main = defining_file(files, process_key)
    if main is None:
        raise NotFound("Fant ikke diagrammet som definerer prosessen.")
    return {"process_key": process_key, "main": main, "files": files, "source": source,
            "base_version": base.version if base else None}


def check_files(files: Any) -> dict[str, bytes]:
    """The posted files as bytes, or a clear refusal (names, count and kinds are bounded)."""
    if not isinstance(files, dict) or not files:
        raise Unprocessable("Ingen filer.", {"files": ["Send minst ett diagram."]})
    if len(files) > MAX_FILES:
        raise Unprocessable("For mange filer.", {"files": [f"Høyst {MAX_FILES} filer."]})
    out: dict[str, bytes] = {}
    for name, text in files.items():
        if not isinstance(name, str) or Path(name).name != name or not name.lower().endswith((".bpmn", ".dmn", ".json")):
            raise Unprocessable("Ugyldig filnavn.", {"files": [f"«{str(name)[:80]}» er ikke et gyldig filnavn."]})
        if not isinstance(text, str) or len(text) > catalog.MAX_FILE_BYTES:
            raise Unprocessable("Ugyldig fil.", {"files": [f"«{name}» må være tekst under 5 MB."]})
        out[name] = text.encode("utf-8")
    return out


def validate(actor: Actor, files: Any) -> list[Problem]:
    """Every problem a deploy of ``files`` would meet, without deploying (the live check)."""
    require_owner(actor)
    data = check_files(files)
    return _declared_deadline_problems(data) + deployments.validate(data)


def _declared_deadline_problems(files: dict[str, bytes]) -> list[Problem]:
    return [p for name, d in sorted(files.items()) if name.lower().endswith(".bpmn")
            for p in frist_props.check_diagram(name, d)]


def save_draft(actor: Actor, process_key: str, files: Any, revision: Any, base_version: Any = None) -> ProcessDraft:
    """Save the draft; ``revision`` is the one the editor started from (0: none yet) — an older one is 409."""
    require_owner(actor)
    data = check_files(files)
    if defining_file(data, process_key) is None:
        raise Unprocessable("Diagrammet definerer ikke prosessen.", {"files": [f"Ingen prosess med id «{process_key}»."]})
    draft = get_draft(process_key)
    current = draft.revision if draft else 0
    if str(revision) != str(current):
        raise Conflict("Utkastet er endret et annet sted siden du åpnet det. Last siden på nytt.",
                       {"revision": current})
    base = version_by_number(process_key, base_version).id if base_version not in (None, "") else None
    if draft is None:
        draft = ProcessDraft(process_key=process_key, files={}, revision=0, base_version_id=base)
        db.session.add(draft)
    draft.files = {n: d.decode("utf-8") for n, d in data.items()}
    draft.revision = current + 1
    draft.base_version_id = base or draft.base_version_id
    draft.updated_at = clock.now()
    draft.updated_by_id = actor.user_id
    db.session.commit()
    return draft


def discard_draft(actor: Actor, process_key: str) -> None:
    require_owner(actor)
    draft = get_draft(process_key)
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()


def deploy(actor: Actor, process_key: str, files: Any) -> deployments.DeployResult:
    """Deploy the edited files as new immutable versions (the upload's path, same checks)."""
    require_owner(actor)
    data = check_files(files)
    problems = _declared_deadline_problems(data)
    if problems:
        raise DeploymentInvalid(problems)
    result = deployments.deploy(data, actor)
    draft = get_draft(process_key)
    if draft is not None:      # the draft is now a version: start the next edit from it
        draft.files = {n: d.decode("utf-8") for n, d in data.items()}
        draft.base_version_id = next((v.id for v in result.versions if v.process_key == process_key), draft.base_version_id)
        draft.revision += 1
        db.session.commit()
    return result


def form_names() -> list[str]:
    """The forms a user task may use: every ``*.schema.json`` of the forms folder."""
    base = Path(current_app.config["FORMS_DIR"])
    return sorted(p.name for p in base.glob("*.schema.json")) if base.is_dir() else []


def form_text(name: str) -> str:
    """One form of the forms folder, by name (never outside it)."""
    base = Path(current_app.config["FORMS_DIR"]).resolve()
    path = (base / name).resolve()
    if path.parent != base or not path.is_file() or not name.endswith(".json"):
        raise NotFound("Fant ikke skjemaet.")
    return path.read_text("utf-8")


def deadline_catalogue() -> dict[str, dict[str, object]]:
    """Every deadline key of the newest deployed versions, with its anchor and period."""
    files: dict[str, bytes] = {}
    for pv in deployments.latest_versions():
        for name, text in version_files(pv).items():
            files.setdefault(name, text.encode("utf-8"))
    return {k: d.to_dict() for k, d in sorted(frist_props.catalogue(files).items())}


def form_problems(name: str, text: str) -> list[Problem]:
    """What the deploy check says about one form (JSON Schema validity), before deploying."""
    problems: list[Problem] = []
    catalog._load_form(name, text.encode("utf-8"), problems)
    return problems
