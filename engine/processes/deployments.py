"""Deploy and validate diagrams: the use case behind ``flask deploy``, ``flask validate`` and the API.

A deployment is stored only if every file passes (see ``engine.bpmn.catalog``); identical content
returns the existing deployment.  Forms and message schemas referenced by a diagram but not
uploaded are taken from the configured forms folder, so a process owner can upload just the BPMN.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from lxml import etree
from sqlalchemy.exc import IntegrityError

from engine.bpmn import catalog as catalog_mod
from engine.bpmn import messages as messages_mod
from engine.bpmn import spec as spec_mod
from engine.bpmn.lanes import ADMINISTRATOR, SCRIPTS_TRUSTED, Actor
from engine.errors import DeploymentInvalid, NotFound, Problem
from engine.extensions import db
from engine.processes import runtime_state
from engine.store.models import AuditEvent, Deployment, ProcessVersion

log = logging.getLogger(__name__)


@dataclass
class DeployResult:
    deployment: Deployment
    versions: list[ProcessVersion]
    created: bool


def read_paths(paths: list[str]) -> dict[str, bytes]:
    """Files from paths (files or folders) as a deployment: ``*.bpmn``, ``*.dmn``, ``*.json``."""
    files: dict[str, bytes] = {}
    for raw in paths:
        path = Path(raw)
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for p in candidates:
            if p.suffix.lower() in (".bpmn", ".dmn", ".json"):
                files[p.name] = p.read_bytes()
    return files


def referenced_forms(files: dict[str, bytes]) -> set[str]:
    """Form and message schema file names the uploaded diagrams refer to (hardened parse; errors are
    reported later)."""
    names: set[str] = set()
    for name, data in files.items():
        if not name.lower().endswith(".bpmn"):
            continue
        try:
            root = etree.fromstring(data, catalog_mod.hardened_parser())
        except etree.XMLSyntaxError:
            continue
        for prop in root.iterfind(f".//{{{catalog_mod.SPIFF_NS}}}property"):
            if prop.get("name") in (catalog_mod.FORM_PROPERTY, catalog_mod.UI_FORM_PROPERTY) and prop.get("value"):
                names.add(prop.get("value"))
        names |= messages_mod.referenced_schemas(root)
    return names


def with_forms(files: dict[str, bytes], forms_dir: str | None = None) -> dict[str, bytes]:
    """Add referenced forms missing from the upload from the forms folder (never outside it)."""
    forms_dir = forms_dir or current_app.config["FORMS_DIR"]
    base = Path(forms_dir).resolve()
    out = dict(files)
    for name in referenced_forms(files) - set(files):
        candidate = (base / name).resolve()
        if candidate.parent == base and candidate.is_file():
            out[name] = candidate.read_bytes()
    return out


def validate(files: dict[str, bytes]) -> list[Problem]:
    """Every problem of a would-be deployment (empty when it would deploy)."""
    try:
        catalog_mod.load_files(with_forms(files))
    except DeploymentInvalid as exc:
        return exc.problems
    return []


def deploy(files: dict[str, bytes], actor: Actor | None) -> DeployResult:
    """Validate and store a deployment as new immutable versions, or return the identical one.

    ``actor`` None means the command line (trusted operator).  Scripts need an administrator or a
    process owner an administrator has trusted with scripts (role ``skriptbetrodd``), unless the
    configuration trusts every process owner; scripts run in the sandbox whoever deployed them.
    """
    files = with_forms(files)
    trusted = (actor is None or actor.has(ADMINISTRATOR) or actor.has(SCRIPTS_TRUSTED)
               or current_app.config["ALLOW_SCRIPTS_FROM_PROCESS_OWNERS"])
    try:
        cat = catalog_mod.load_files(files, allow_scripts=trusted)
    except DeploymentInvalid:
        db.session.rollback()          # nothing of a refused deployment stays in the session
        raise
    existing = _existing(cat.content_hash)
    if existing:
        return existing
    rt = runtime_state.state()
    dep = Deployment(content_hash=cat.content_hash, has_scripts=cat.has_scripts,
                     files={n: d.decode("utf-8") for n, d in cat.files.items()},
                     created_by_id=actor.user_id if actor else None)
    db.session.add(dep)
    db.session.flush()
    versions = []
    for key in sorted(cat.bundles):
        bundle = cat.bundles[key]
        latest = db.session.scalar(sa.select(sa.func.max(ProcessVersion.version)).where(ProcessVersion.process_key == key))
        pv = ProcessVersion(deployment_id=dep.id, process_key=key, version=(latest or 0) + 1,
                            name=bundle.name, spec_json=rt.engine.dump_bundle(bundle))
        db.session.add(pv)
        versions.append(pv)
    db.session.flush()
    db.session.add(AuditEvent(type="deployment.created", actor_id=actor.user_id if actor else None,
                              data={"deployment_id": dep.id, "hash": dep.content_hash,
                                    "versions": [{"process_key": v.process_key, "version": v.version} for v in versions]}))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()          # a concurrent identical deployment won the race
        existing = _existing(cat.content_hash)
        if existing:
            return existing
        raise
    for pv in versions:
        rt.bundles[pv.id] = cat.bundles[pv.process_key]
    return DeployResult(dep, versions, True)


def _existing(content_hash: str) -> DeployResult | None:
    dep = db.session.scalar(sa.select(Deployment).where(Deployment.content_hash == content_hash))
    if dep is None:
        return None
    versions = list(db.session.scalars(sa.select(ProcessVersion).where(ProcessVersion.deployment_id == dep.id)
                                       .order_by(ProcessVersion.process_key)))
    return DeployResult(dep, versions, False)


def list_versions() -> list[ProcessVersion]:
    """Every deployed version, by process and version number."""
    return list(db.session.scalars(sa.select(ProcessVersion)
                                   .order_by(ProcessVersion.process_key, ProcessVersion.version)))


def process_keys() -> list[str]:
    """Every process that has a deployed version, sorted."""
    return sorted(db.session.scalars(sa.select(ProcessVersion.process_key).distinct()))


def get_version(version_id: int) -> ProcessVersion | None:
    return db.session.get(ProcessVersion, version_id)


def latest_version(process_key: str) -> ProcessVersion | None:
    return db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.process_key == process_key)
                             .order_by(ProcessVersion.version.desc()).limit(1))


def latest_versions() -> list[ProcessVersion]:
    """The newest version of every deployed process, by process key."""
    newest = (sa.select(ProcessVersion.process_key, sa.func.max(ProcessVersion.version).label("version"))
              .group_by(ProcessVersion.process_key).subquery())
    return list(db.session.scalars(sa.select(ProcessVersion).join(newest, sa.and_(
        ProcessVersion.process_key == newest.c.process_key, ProcessVersion.version == newest.c.version))
        .order_by(ProcessVersion.process_key)))


def bundle_for(version_id: int) -> catalog_mod.SpecBundle:
    """The parsed spec of a version, restored once per process and cached."""
    rt = runtime_state.state()
    bundle = rt.bundles.get(version_id)
    if bundle is None:
        pv = db.session.get(ProcessVersion, version_id)
        if pv is None:
            raise NotFound("Fant ikke prosessversjonen.")
        bundle = _with_legacy_messages(rt.engine.load_bundle(pv.spec_json))
        rt.bundles[version_id] = bundle
    return bundle


def _with_legacy_messages(bundle: catalog_mod.SpecBundle) -> catalog_mod.SpecBundle:
    """A version deployed before message schemas were resolved: resolve them now, from the forms folder.

    Its cases are still running, and their messages must be checked at the door too; the schema of
    the conventional name in the forms folder is the best contract such a version has. A message
    with no such file there stays unchecked (as before), and the log says so.
    """
    if bundle.messages is not None:
        return bundle
    base = Path(current_app.config["FORMS_DIR"]).resolve()
    bundle.messages = {}
    for catch in messages_mod.catches(spec_mod.process_specs(bundle)):
        bundle.messages[catch.message] = catch.schema
        path = (base / catch.schema).resolve()
        if catch.schema not in bundle.forms and path.parent == base and path.is_file():
            bundle.forms[catch.schema] = json.loads(path.read_bytes())
        if catch.schema not in bundle.forms:
            log.warning("process %s: no schema %s for message %s; its payloads are not checked",
                        bundle.process_key, catch.schema, catch.message)
    return bundle
