"""Dependencies point one way: the engine core, forms and webhooks never import Flask or the store."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE = [ROOT / "engine" / "bpmn", ROOT / "engine" / "forms.py", ROOT / "engine" / "clock.py",
        ROOT / "engine" / "errors.py", ROOT / "webhooks"]
FORBIDDEN = ("flask", "flask_sqlalchemy", "engine.store", "engine.extensions", "sqlalchemy", "engine.cases",
             "engine.web")


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_pure_modules_do_not_import_flask_or_store():
    offenders = []
    for base in PURE:
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for f in files:
            for name in _imports(f):
                if name.startswith(FORBIDDEN):
                    offenders.append(f"{f.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_openapi_lists_every_api_route(ctx):
    from engine.web.openapi import OPENAPI
    routes = set()
    for rule in ctx.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((path, method.lower()))
    documented = {(p, m) for p, ops in OPENAPI["paths"].items() for m in ops}
    assert routes <= documented, routes - documented


def test_openapi_is_served(api):
    r = api(None).get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.json["openapi"].startswith("3.")
