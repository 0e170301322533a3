"""The restricted environment in which diagram scripts and expressions run.

SpiffWorkflow's default engine is plain ``exec``/``eval`` with the real builtins: an uploaded
diagram could run ``os.system``. Everything a diagram evaluates (script tasks, pre/post scripts,
gateway conditions, timer expressions, message payloads, DMN cells) goes through
:class:`RestrictedEnvironment`: RestrictedPython compiles the code (no imports, no dunder access, no
``open``/``getattr``), and a trace budget stops runaway loops. The engine object is not serialized,
so :func:`script_engine` must be attached again after every restore (``engine.bpmn.runtime`` does).
"""
from __future__ import annotations

import operator
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NoReturn

from RestrictedPython import (
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
    utility_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import clock
from engine.bpmn import deadlines

#: Wall-clock budget for one script or expression.  Diagrams only shuffle case data, so a second
#: is generous; anything longer is a bug or an attack.
TIME_LIMIT_SECONDS = 1.0

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
    "&=": operator.iand, "^=": operator.ixor, "<<=": operator.ilshift, ">>=": operator.irshift,
}

_BUILTINS = {
    **safe_builtins, **limited_builtins, **utility_builtins,
    "dict": dict, "list": list, "sum": sum, "min": min, "max": max, "any": any, "all": all,
    "enumerate": enumerate, "sorted": sorted, "reversed": reversed, "map": map, "filter": filter,
}
for _name in ("setattr", "delattr", "__import__"):
    _BUILTINS.pop(_name, None)

GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y),
}


def _today() -> str:
    return clock.today_oslo().isoformat()


#: Functions a diagram may call.  Names are Norwegian because process owners write them.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "frist": deadlines.frist,
    "frist_dato": deadlines.frist_dato,
    "i_dag": _today,
}


class ScriptTimeout(RuntimeError):
    """A script ran longer than :data:`TIME_LIMIT_SECONDS`."""


@lru_cache(maxsize=2048)
def compile_exec(source: str):
    """Compile a script once; RestrictedPython rejects imports and dunders at compile time."""
    return compile_restricted_exec(source, "<script>").code or _raise_compile(compile_restricted_exec(source, "<script>"))


@lru_cache(maxsize=4096)
def compile_eval(source: str):
    """Compile an expression once."""
    result = compile_restricted_eval(source, "<expression>")
    return result.code or _raise_compile(result)


def _raise_compile(result: Any) -> NoReturn:
    raise SyntaxError("; ".join(result.errors) or "kan ikke kompilere")


def check_source(source: str, mode: str) -> str | None:
    """Return why ``source`` is refused (for deploy-time lint), or None if it compiles restricted."""
    fn = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    result = fn(source, "<check>")
    if result.errors:
        return "; ".join(result.errors)
    return None


class _Budget:
    """A trace function that aborts code running past its deadline.

    ``sys.settrace`` only costs while diagram code runs; checking the clock every 256 line events
    keeps the overhead low.
    """

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.count = 0

    def __call__(self, frame, event, arg):
        if event == "call":
            # Opcode events: a one-line ``while True: pass`` never emits a line event.
            frame.f_trace_opcodes = True
        self.count += 1
        if self.count & 0xFF == 0 and time.monotonic() > self.deadline:
            raise ScriptTimeout(f"skriptet brukte mer enn {TIME_LIMIT_SECONDS:g} s")
        return self


def _run_bounded(fn: Callable[[], Any]) -> Any:
    previous = sys.gettrace()
    sys.settrace(_Budget(TIME_LIMIT_SECONDS))
    try:
        return fn()
    finally:
        sys.settrace(previous)


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that runs RestrictedPython-compiled code with a time budget."""

    def __init__(self, functions: dict[str, Callable[..., Any]] | None = None) -> None:
        super().__init__(dict(functions or FUNCTIONS))

    def evaluate(self, expression, context, external_context=None):
        code = compile_eval(expression)
        namespace = {**GUARDS, **self.globals, **(external_context or {}), **context}
        return _run_bounded(lambda: eval(code, namespace))

    def execute(self, script, context, external_context=None):
        code = compile_exec(script)
        local_ns = dict(context)
        _run_bounded(lambda: exec(code, {**GUARDS, **self.globals, **(external_context or {})}, local_ns))
        context.clear()
        context.update({k: v for k, v in local_ns.items()
                        if not callable(v) and not k.startswith("_") and k not in self.globals})
        return True


def script_engine() -> PythonScriptEngine:
    """A fresh restricted script engine (cheap; compiled code is cached module-wide)."""
    return PythonScriptEngine(environment=RestrictedEnvironment())
