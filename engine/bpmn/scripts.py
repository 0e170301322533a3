"""The restricted environment in which diagram scripts and expressions run.

SpiffWorkflow's default engine is plain ``exec``/``eval`` with the real builtins: an uploaded
diagram could run ``os.system``. Everything a diagram evaluates (script tasks, pre/post scripts,
gateway conditions, timer expressions, message payloads, DMN cells) goes through
:class:`RestrictedEnvironment`: RestrictedPython compiles the code (no imports, no dunder access, no
``open``/``getattr``), and a trace budget stops runaway loops. The engine object is not serialized,
so :func:`script_engine` must be attached again after every restore (``engine.bpmn.runtime`` does).

Time alone does not bound a script: one built-in operation (``"a" * 2*10**9``) runs in C, where no
trace event comes.  So the code is compiled with :class:`~engine.bpmn.sandbox_ast.LimitingTransformer`,
which sends every operation that can build something huge through a sized helper
(:mod:`engine.bpmn.guards`), and the trace budget also watches the process's memory
(:mod:`engine.bpmn.limits`).  What a script stores and what an expression returns is sized too:
the engine serializes it outside the sandbox.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date, datetime
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
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import clock
from engine.bpmn import anchors, deadlines, guards, limits
from engine.bpmn.limits import ScriptLimitExceeded
from engine.bpmn.sandbox_ast import LimitingTransformer

__all__ = ["FUNCTIONS", "GUARDS", "RestrictedEnvironment", "ScriptLimitExceeded", "ScriptTimeout",
           "TIME_LIMIT_SECONDS", "check_source", "compile_eval", "compile_exec", "describe_failure", "script_engine"]

#: Budget for one script or expression, in CPU seconds of the thread that runs it.  Diagrams only
#: shuffle case data, so a second is generous; anything longer is a bug or an attack.  CPU time, not
#: wall-clock time: a script cannot wait for anything (no I/O, no imports), so all a runaway script
#: can do is compute — while a correct one on a busy host (other threads holding the GIL, the process
#: descheduled) must not time out, or a deadline would be armed broken because the machine was busy.
TIME_LIMIT_SECONDS = 1.0
_cpu_clock = time.thread_time

_BUILTINS = {
    **safe_builtins, **limited_builtins, **utility_builtins,
    "dict": dict, "list": list, "sum": sum, "min": min, "max": max, "any": any, "all": all,
    "enumerate": enumerate, "sorted": sorted, "reversed": reversed, "map": map, "filter": filter,
    **guards.BUILTINS,
}
for _name in ("setattr", "delattr", "__import__"):
    _BUILTINS.pop(_name, None)

GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    **guards.HELPERS,
}

# Argument types that cannot call back into diagram code.  With only these a helper runs untraced;
# with anything else (a list, a function) it runs under the budget like the diagram code around it.
_PLAIN = (str, int, float, bool, type(None), date, datetime)


def _outside_budget(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a bounded helper without the trace budget, so load can never make it time out.

    A timer armed while its script ran out of time is armed *broken* and never escalates; the
    deadline helpers take microseconds and have bounded inputs, so the budget has nothing to guard.
    """
    untraced = limits.untraced(fn)

    def call(*args: Any, **kwargs: Any) -> Any:
        plain = all(type(a) in _PLAIN for a in (*args, *kwargs.values()))
        return (untraced if plain else fn)(*args, **kwargs)
    call.__name__, call.__doc__ = fn.__name__, fn.__doc__
    return call


def _today() -> str:
    return clock.today_oslo().isoformat()


#: Functions a diagram may call.  Names are Norwegian because process owners write them.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "frist": _outside_budget(deadlines.frist),
    "frist_dato": _outside_budget(deadlines.frist_dato),
    "dagstart": _outside_budget(anchors.dagstart),
    "i_dag": _outside_budget(_today),
}

#: What a script may store in the case, and an expression return, at most: the engine copies and
#: serializes it outside the sandbox (counted as characters of its printed form).
MAX_RESULT_CHARS = limits.MAX_ITEMS


class ScriptTimeout(RuntimeError):
    """A script ran longer than :data:`TIME_LIMIT_SECONDS`."""


@lru_cache(maxsize=2048)
def compile_exec(source: str):
    """Compile a script once; RestrictedPython rejects imports and dunders at compile time."""
    result = compile_restricted_exec(source, "<script>", policy=LimitingTransformer)
    return result.code or _raise_compile(result)


@lru_cache(maxsize=4096)
def compile_eval(source: str):
    """Compile an expression once."""
    result = compile_restricted_eval(source, "<expression>", policy=LimitingTransformer)
    return result.code or _raise_compile(result)


def _raise_compile(result: Any) -> NoReturn:
    raise SyntaxError("; ".join(result.errors) or "kan ikke kompilere")


def check_source(source: str, mode: str) -> str | None:
    """Return why ``source`` is refused (for deploy-time lint), or None if it compiles restricted."""
    fn = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    result = fn(source, "<check>", policy=LimitingTransformer)
    if result.errors:
        return "; ".join(result.errors)
    return None


class _Budget:
    """A trace function that aborts code running past its deadline or growing memory too much.

    ``sys.settrace`` only costs while diagram code runs; checking every 32 opcode events keeps the
    overhead low, and the sized helpers call :meth:`check` before each large allocation.  Once the
    budget is spent every later event raises again, so ``try: … except: pass`` cannot swallow it.
    """

    def __init__(self, seconds: float) -> None:
        self.deadline = _cpu_clock() + seconds
        self.memory = limits.MemoryMeter()
        self.count = 0
        self.failure: Exception | None = None

    def __call__(self, frame, event, arg):
        if event == "call":
            if id(frame.f_code) in _UNTRACED:
                return None
            # Opcode events: a one-line ``while True: pass`` never emits a line event.
            frame.f_trace_opcodes = True
        self.count += 1
        if self.count & 0x1F == 0 or self.failure is not None:
            self.check()
        return self

    def check(self) -> None:
        if self.failure is None:
            if _cpu_clock() > self.deadline:
                self.failure = ScriptTimeout(f"skriptet brukte mer enn {TIME_LIMIT_SECONDS:g} s")
            elif self.memory.exceeded():
                self.failure = self.memory.error()
        if self.failure is not None:
            raise type(self.failure)(*self.failure.args)


# By id: hashing a code object hashes its bytecode, far too slow for every call.  The code objects
# belong to module-level functions and live as long as the process, so their ids stay theirs.
_UNTRACED = frozenset(map(id, guards.UNTRACED_CODE | {_Budget.check.__code__}))


def _run_bounded(fn: Callable[[], Any]) -> Any:
    previous = sys.gettrace()
    budget = _Budget(TIME_LIMIT_SECONDS)
    previous_check = limits.activate(budget.check)
    sys.settrace(budget)
    try:
        return fn()
    except Exception as exc:
        # The engine prints the error outside the sandbox: a huge message is refused here.
        if not isinstance(exc, (ScriptTimeout, ScriptLimitExceeded)) and limits.text_size(exc.args) > 10_000:
            raise ScriptLimitExceeded(f"skriptet reiste {type(exc).__name__} med en for stor melding") from None
        raise
    finally:
        sys.settrace(previous)
        limits.activate(previous_check)


_MUTABLE = (list, dict, set, bytearray)


def _check_stored(values: list[Any], what: str) -> None:
    """Refuse case data that prints huge: the engine copies and serializes it outside the sandbox.

    ``["x" * 10**6] * 10**6`` is a small object (a million references to one text) that would
    become a terabyte of JSON.
    """
    if limits.text_size(values, MAX_RESULT_CHARS) > MAX_RESULT_CHARS:
        raise ScriptLimitExceeded(f"{what} er for stort (over {MAX_RESULT_CHARS:,} tegn)".replace(",", " "))


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that runs RestrictedPython-compiled code with a time budget."""

    def __init__(self, functions: dict[str, Callable[..., Any]] | None = None) -> None:
        super().__init__(dict(functions or FUNCTIONS))

    def evaluate(self, expression, context, external_context=None):
        code = compile_eval(expression)
        namespace = {**GUARDS, **self.globals, **(external_context or {}), **context}
        value = _run_bounded(lambda: eval(code, namespace))
        # An expression can also grow a list of the case in place (``x.extend(…) or True``).
        _check_stored([value, *(v for v in context.values() if isinstance(v, _MUTABLE))], "resultatet av uttrykket")
        return value

    def execute(self, script, context, external_context=None):
        code = compile_exec(script)
        local_ns = dict(context)
        _run_bounded(lambda: exec(code, {**GUARDS, **self.globals, **(external_context or {})}, local_ns))
        result = {k: v for k, v in local_ns.items()
                  if not callable(v) and not k.startswith("_") and k not in self.globals}
        _check_stored([v for k, v in result.items() if k not in context or context[k] is not v or isinstance(v, _MUTABLE)],
                      "det skriptet lagrer i saken")
        context.clear()
        context.update(result)
        return True


def describe_failure(exc: BaseException) -> str:
    """An engine failure's message, with the sandbox's reason when SpiffWorkflow dropped it.

    SpiffWorkflow wraps a failing expression (a gateway condition) as «Error evaluating expression
    '…'» and keeps only the cause's class name; a refused or timed-out condition must say why.
    """
    message = str(exc).strip() or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, (ScriptTimeout, ScriptLimitExceeded)) and str(cause) not in message:
        message = f"{message} {type(cause).__name__}: {cause}"
    return message


def script_engine() -> PythonScriptEngine:
    """A fresh restricted script engine (cheap; compiled code is cached module-wide)."""
    return PythonScriptEngine(environment=RestrictedEnvironment())
