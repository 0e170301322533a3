"""The layering of the service, declared in ``engine/layers.toml``, holds for every import."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.layering import check

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "engine" / "layers.toml"


def test_every_import_follows_the_declared_layers():
    assert check(ROOT, ["engine", "webhooks"], MAP) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for pkg in {p.parent for p in tmp_path.rglob("*.py")}:
        (pkg / "__init__.py").touch()
    return tmp_path


@pytest.mark.parametrize(("files", "expected"), [
    ({"engine/bpmn/runtime.py": "import flask\n"}, "engine.bpmn.runtime:1 imports flask (forbidden in part «bpmn»)"),
    ({"engine/bpmn/runtime.py": "def f():\n    from engine.cases import step\n", "engine/cases/__init__.py": ""},
     "engine.bpmn.runtime:2 imports engine.cases (part «bpmn» may not import «cases»)"),
    ({"engine/cases/commands.py": "from engine import web\n", "engine/web/__init__.py": ""},
     "engine.cases.commands:1 imports engine.web (part «cases» may not import «web»)"),
    ({"engine/web/views.py": "import sqlalchemy as sa\n"}, "engine.web.views:1 imports sqlalchemy (forbidden in part «web»)"),
    ({"engine/ops/stuck.py": "from SpiffWorkflow.util.task import TaskState\n"},
     "engine.ops.stuck:1 imports SpiffWorkflow.util.task (forbidden in part «ops»)"),
    ({"engine/events/inbox.py": "from engine.events import outbox\n",
      "engine/events/outbox.py": "from engine.events import inbox\n"},
     "import cycle between modules: engine.events.inbox ↔ engine.events.outbox"),
    ({"engine/brand_new.py": "x = 1\n"}, "engine.brand_new: belongs to no part of layers.toml"),
])
def test_the_checker_fails_on_a_forbidden_import(tmp_path, files, expected):
    """Given a tree with one violation, the checker names it (so the test above can fail)."""
    assert expected in check(_tree(tmp_path, files), ["engine", "webhooks"], MAP)


def test_a_cycle_in_the_declared_map_is_refused(tmp_path):
    bad = tmp_path / "layers.toml"
    bad.write_text(MAP.read_text().replace('[parts.core]\nmodules = ["engine.clock", "engine.errors"]\nmay_import = []',
                                           '[parts.core]\nmodules = ["engine.clock", "engine.errors"]\nmay_import = ["web"]'))
    problems = check(ROOT, ["engine", "webhooks"], bad)
    assert any(p.startswith("the declared map has a cycle") for p in problems)


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
