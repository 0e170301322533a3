"""Size and memory limits for diagram code, checked *before* anything big is built.

The time budget in :mod:`engine.bpmn.scripts` runs between bytecodes, so it cannot stop one
built-in operation: the gateway condition ``len("a" * (2*10**9)) == 0`` is a single multiplication
that took 18 s and 2 GB.  Every operation that can build a large object from small inputs is
therefore routed (by :mod:`engine.bpmn.sandbox_ast` and the guarded builtins and methods below)
through a check that computes the result's size first and raises :class:`ScriptLimitExceeded`:

* sequences and strings: at most :data:`MAX_ITEMS` items or characters per result;
* integers: at most :data:`MAX_INT_BITS` bits per result;
* one evaluation: at most :data:`MEMORY_LIMIT_BYTES` of growth in the process's resident memory,
  checked while the code runs and before every large allocation (:class:`MemoryMeter`).

Copies of objects that already exist (``sorted``, ``list(x)``) are linear in what the code already
paid for and are caught by the memory and time budgets.  Pure: no Flask, no database.
"""
from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

#: Items (list/tuple elements) or characters (str/bytes) one operation may produce.
MAX_ITEMS = 1_000_000
#: Bits of an integer one operation may produce (about 1,200 decimal digits).
MAX_INT_BITS = 4096
#: Growth of the process's resident memory one evaluation may cause.
MEMORY_LIMIT_BYTES = 256 * 2**20
#: Results at least this big also check the time and memory budgets before they are built.
BIG_ITEMS = 65_536

_TEXT = (str, bytes, bytearray)
# Concrete view types: isinstance against the collections.abc ones runs Python code each time.
KeysView: type = type({}.keys())
ValuesView: type = type({}.values())
ItemsView: type = type({}.items())
_CONTAINERS = (list, tuple, set, frozenset, KeysView, ValuesView)


class ScriptLimitExceeded(RuntimeError):
    """Diagram code asked for a bigger object or more memory than the sandbox allows."""


def _number(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def check_items(n: int, what: str) -> None:
    """Refuse a result of ``n`` items or characters before it is built."""
    if n > MAX_ITEMS:
        raise ScriptLimitExceeded(f"{what} ville gitt {_number(n)} tegn eller elementer; grensen er {_number(MAX_ITEMS)}")
    if n >= BIG_ITEMS:
        checkpoint()


def check_bits(bits: int | float, what: str) -> None:
    """Refuse an integer result of about ``bits`` bits before it is computed."""
    if bits > MAX_INT_BITS:
        raise ScriptLimitExceeded(f"{what} ville gitt et heltall på over {_number(MAX_INT_BITS)} biter")


# -- per-evaluation budget ------------------------------------------------------------------------

_current = threading.local()
_statm: tuple[int, int] | None = None     # (pid, fd of /proc/self/statm), reopened after a fork
_statm_lock = threading.Lock()
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int | None:
    """The process's resident memory now (Linux; None where /proc is missing).

    ``resource.setrlimit`` would cap the whole server, and ``tracemalloc`` is process-wide, slows
    every allocation in every thread and cannot be started and stopped per evaluation safely; the
    resident set read with ``pread`` costs about two microseconds.
    """
    global _statm
    pid = os.getpid()
    if _statm is None or _statm[0] != pid:
        with _statm_lock:
            try:
                _statm = (pid, os.open("/proc/self/statm", os.O_RDONLY))
            except OSError:
                _statm = (pid, -1)
    if _statm[1] < 0:
        return None
    try:
        return int(os.pread(_statm[1], 64, 0).split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


class MemoryMeter:
    """Growth of resident memory since one evaluation began, against :data:`MEMORY_LIMIT_BYTES`."""

    def __init__(self) -> None:
        self.limit = MEMORY_LIMIT_BYTES
        self.start = rss_bytes()

    def exceeded(self) -> bool:
        if self.start is None:
            return False
        now = rss_bytes()
        return now is not None and now - self.start > self.limit

    def error(self) -> ScriptLimitExceeded:
        return ScriptLimitExceeded(f"skriptet brukte mer enn {self.limit // 2**20} MB minne")


def activate(check: Callable[[], None] | None) -> Callable[[], None] | None:
    """Make ``check`` the running evaluation's budget check; returns the previous one to restore."""
    previous = getattr(_current, "check", None)
    _current.check = check
    return previous


def checkpoint() -> None:
    """Check the running evaluation's time and memory budgets now (before a large allocation)."""
    check = getattr(_current, "check", None)
    if check is not None:
        check()


def untraced(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` without the trace budget: for bounded helpers that never call diagram code."""
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        trace = sys.gettrace()
        if trace is None:
            return fn(*args, **kwargs)
        sys.settrace(None)
        try:
            return fn(*args, **kwargs)
        finally:
            sys.settrace(trace)
    return call


@untraced
def text_size(obj: object, limit: int = MAX_ITEMS) -> int:
    """About ``len(repr(obj))``, computed without building it; stops counting once past ``limit``.

    ``str(["x" * 10**6] * 10**6)`` is one C call that would build a terabyte.  Every element adds at
    least one to the count, so the walk visits at most ``limit`` elements.  Runs untraced: it only
    calls built-in code.
    """
    total = 0
    active: set[int] = set()

    def walk(o: Any) -> None:
        nonlocal total
        if isinstance(o, _TEXT):
            total += len(o) + 3
        elif isinstance(o, bool) or o is None:
            total += 5
        elif isinstance(o, int):
            total += o.bit_length() * 302 // 1000 + 2
        elif isinstance(o, float):
            total += 24
        elif isinstance(o, (dict, ItemsView, *_CONTAINERS)):
            if id(o) in active:             # a container inside itself prints as [...]
                total += 5
                return
            container: Any = o
            total += 2 + 2 * len(container)
            active.add(id(o))
            for item in (dict.items(container) if isinstance(container, dict) else container):
                if total > limit:
                    break
                walk(item)
            active.discard(id(o))
        elif isinstance(o, BaseException):     # prints its arguments: ValueError([...])
            total += len(type(o).__name__) + 2
            walk(o.args)
        elif isinstance(o, slice):
            total += 8
            walk((o.start, o.stop, o.step))
        else:                                  # what else diagram code can make prints short
            total += len(repr(o))

    walk(obj)
    return total
