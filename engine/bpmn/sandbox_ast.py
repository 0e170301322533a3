"""RestrictedPython's compile policy, plus: every operation that can build something huge becomes a
call to a sized helper from :mod:`engine.bpmn.guards`.

``a * b`` → ``_mul_(a, b)``, and likewise ``**`` (``_pow_``), ``<<`` (``_lshift_``), ``+``
(``_add_``) and ``%`` (``_mod_``); ``f"{x:>{n}}"`` → ``_fstring_(_format_(x, -1, …))`` with the
spec an f-string itself; ``[a, *b]`` → ``_sequence_("list", (False, a), (True, b))``.
Augmented assignment already goes through ``_inplacevar_`` in RestrictedPython.  Names that
start with ``_`` cannot be written by diagram code, so a diagram cannot replace a helper.
CPython's own constant folding stays bounded (it refuses to fold results over a few KB).

Every ``except`` and ``finally`` block starts with ``_checkpoint_()``.  CPython switches tracing
off when the trace function raises, so a ``ScriptTimeout`` caught by ``except Exception: pass``
inside ``while True`` would leave the loop running untraced forever; the checkpoint raises the
spent budget again from ordinary code, and every enclosing handler does the same.
"""
from __future__ import annotations

import ast
from typing import Any

from RestrictedPython.transformer import RestrictingNodeTransformer

_BINOPS: dict[type, str] = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_",
                            ast.Add: "_add_", ast.Mod: "_mod_"}


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    return ast.fix_missing_locations(ast.copy_location(node, like))


def _checkpoint(like: ast.AST) -> ast.stmt:
    return ast.fix_missing_locations(ast.copy_location(ast.Expr(_call("_checkpoint_", [], like)), like))


class LimitingTransformer(RestrictingNodeTransformer):
    """The RestrictedPython policy used for every diagram script and expression."""

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        new = super().visit_BinOp(node)
        if isinstance(new, ast.BinOp) and type(new.op) in _BINOPS:
            return _call(_BINOPS[type(new.op)], [new.left, new.right], new)
        return new

    def visit_JoinedStr(self, node: ast.JoinedStr) -> Any:
        new = super().visit_JoinedStr(node)
        if not isinstance(new, ast.JoinedStr):
            return new
        parts: list[ast.expr] = []
        for value in new.values:
            if isinstance(value, ast.FormattedValue):
                spec = value.format_spec if value.format_spec is not None else ast.Constant("")
                value = _call("_format_", [value.value, ast.Constant(value.conversion), spec], value)
            parts.append(value)
        return _call("_fstring_", parts, new)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        new = super().visit_ExceptHandler(node)
        if isinstance(new, ast.ExceptHandler):
            new.body.insert(0, _checkpoint(new))
        return new

    def visit_Try(self, node: ast.Try) -> Any:
        new = super().visit_Try(node)
        if isinstance(new, ast.Try) and new.finalbody:
            new.finalbody.insert(0, _checkpoint(new.finalbody[0]))
        return new

    def visit_List(self, node: ast.List) -> Any:
        return self._sequence(super().visit_List(node), "list")

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        return self._sequence(super().visit_Tuple(node), "tuple")

    def _sequence(self, node: Any, kind: str) -> Any:
        if not isinstance(node, (ast.List, ast.Tuple)) or not isinstance(node.ctx, ast.Load) \
                or not any(isinstance(e, ast.Starred) for e in node.elts):
            return node
        parts: list[ast.expr] = [ast.Constant(kind)]
        for element in node.elts:
            starred = isinstance(element, ast.Starred)
            value = element.value if isinstance(element, ast.Starred) else element
            parts.append(ast.Tuple([ast.Constant(starred), value], ast.Load()))
        return _call("_sequence_", parts, node)
