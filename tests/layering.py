"""Check a source tree against a declared map of parts and allowed imports (``engine/layers.toml``).

Every import counts — at the top of a module or inside a function — because a late import is still
a dependency. The checker reports: an import of a part that is not allowed, an import of a
forbidden third-party package, a module that belongs to no part, a cycle in the declared map, and
a cycle between modules.
"""
from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Part:
    name: str
    modules: tuple[str, ...]
    may_import: frozenset[str]
    forbid: tuple[str, ...]
    exact: bool = False      # the modules themselves, not what lies below them


def load_map(path: Path) -> dict[str, Part]:
    raw = tomllib.loads(path.read_text())["parts"]
    return {name: Part(name, tuple(p["modules"]), frozenset(p.get("may_import", [])), tuple(p.get("forbid", [])),
                       bool(p.get("exact", False)))
            for name, p in raw.items()}


def part_of(module: str, parts: dict[str, Part]) -> Part | None:
    """The part whose module prefix is the longest match for ``module``."""
    best: tuple[int, Part] | None = None
    for part in parts.values():
        for prefix in part.modules:
            below = not part.exact and module.startswith(prefix + ".")
            if (module == prefix or below) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), part)
    return best[1] if best else None


def module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    names = list(rel.parts)
    if names[-1] == "__init__":
        names.pop()
    return ".".join(names)


def imports_of(path: Path, module: str, known: set[str] | dict[str, Path]) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, relative imports resolved.

    ``from engine import cases`` imports the module ``engine.cases`` (when it is one of ``known``),
    ``from engine import create_app`` imports ``engine`` itself.
    """
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((sub if sub in known else base, node.lineno))
    return out


def _declared_cycle(parts: dict[str, Part]) -> list[str] | None:
    seen: dict[str, int] = {}

    def visit(name: str, stack: list[str]) -> list[str] | None:
        if seen.get(name) == 1:
            return [*stack[stack.index(name):], name]
        if seen.get(name) == 2:
            return None
        seen[name] = 1
        for dep in sorted(parts[name].may_import):
            if dep in parts and (cycle := visit(dep, [*stack, name])):
                return cycle
        seen[name] = 2
        return None

    for name in parts:
        if cycle := visit(name, []):
            return cycle
    return None


def _module_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def check(root: Path, packages: list[str], map_path: Path) -> list[str]:
    """Every violation of the map in the given top-level packages under ``root``."""
    parts = load_map(map_path)
    problems: list[str] = []
    if cycle := _declared_cycle(parts):
        problems.append("the declared map has a cycle: " + " → ".join(cycle))
    files = {module_name(root, p): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))
             if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        own = part_of(module, parts)
        if own is None:
            problems.append(f"{module}: belongs to no part of {map_path.name}")
            continue
        for imported, line in imports_of(path, module, files):
            top = imported.split(".")[0]
            if any(imported == f or imported.startswith(f + ".") for f in own.forbid):
                problems.append(f"{module}:{line} imports {imported} (forbidden in part «{own.name}»)")
                continue
            if top not in packages:
                continue
            if imported in files and imported != module:
                graph[module].add(imported)
            other = part_of(imported, parts)
            if other is not None and other is not own and other.name not in own.may_import:
                problems.append(f"{module}:{line} imports {imported} (part «{own.name}» may not import «{other.name}»)")
    for cycle in _module_cycles(graph):
        problems.append("import cycle between modules: " + " ↔ ".join(cycle))
    return sorted(set(problems))
