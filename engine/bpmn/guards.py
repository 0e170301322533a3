"""The guarded operators, builtins and methods diagram code gets instead of the plain ones.

:mod:`engine.bpmn.sandbox_ast` rewrites ``a * b``, ``a ** b``, ``a << b``, ``a + b``, ``a % b``,
f-strings and ``[*a, *b]`` into calls of the ``_..._`` helpers here; the restricted ``getattr``
wraps the methods that grow a string, bytes or list.  Each computes the size of its result from
its inputs and refuses (:class:`~engine.bpmn.limits.ScriptLimitExceeded`) before building anything
too big; see :mod:`engine.bpmn.limits` for the numbers.  Pure: no Flask, no database.
"""
from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from types import CodeType
from typing import Any

from RestrictedPython.Guards import safer_getattr

from engine.bpmn import limits, safe_modules
from engine.bpmn.limits import (
    MAX_INT_BITS,
    MAX_ITEMS,
    ItemsView,
    KeysView,
    ScriptLimitExceeded,
    ValuesView,
    check_bits,
    check_items,
    checkpoint,
    text_size,
)

_TEXT = (str, bytes, bytearray)
_SEQUENCES = (str, bytes, bytearray, list, tuple)
_SIZED = (str, bytes, bytearray, list, tuple, range, dict, set, frozenset)
# Objects whose printed form can be far longer than the object: walked by ``text_size``.
_WALKED = (list, tuple, dict, set, frozenset, KeysView, ValuesView, ItemsView, BaseException, slice)


# -- operators ---------------------------------------------------------------------------------

def mul(a: Any, b: Any) -> Any:
    """``a * b``: repetition of sequences and products of integers are sized first."""
    if isinstance(a, _SEQUENCES) and isinstance(b, int):
        check_items(len(a) * max(b, 0), "gjentakelsen (*)")
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        check_items(len(b) * max(a, 0), "gjentakelsen (*)")
    elif isinstance(a, int) and isinstance(b, int):
        check_bits(a.bit_length() + b.bit_length(), "gangingen (*)")
    return a * b


def power(a: Any, b: Any, mod: Any = None) -> Any:
    """``a ** b`` and ``pow(a, b, mod)``: the result's bits are estimated from the operands."""
    if isinstance(a, int) and isinstance(b, int):
        if mod is not None:
            check_bits(max(a.bit_length(), b.bit_length(), mod.bit_length() if isinstance(mod, int) else 0), "pow()")
        elif b > 0 and abs(a) > 1:
            check_bits(b if b > MAX_INT_BITS else b * math.log2(abs(a)), "potensen (**)")
    return pow(a, b) if mod is None else pow(a, b, mod)


def lshift(a: Any, b: Any) -> Any:
    """``a << b``: the result has ``a``'s bits plus ``b``."""
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        check_bits(a.bit_length() + b, "skiftet (<<)")
    return a << b


def add(a: Any, b: Any) -> Any:
    """``a + b``: two sequences joined; ``x = x + x`` would otherwise double until memory runs out."""
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        check_items(len(a) + len(b), "sammenslåingen (+)")
    return a + b


# Widths and precisions in %-formatting: "%-*.*s", "%(navn)08.3f".
_PERCENT = r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?"
_PERCENT_TEXT, _PERCENT_BYTES = re.compile(_PERCENT), re.compile(_PERCENT.encode())


def mod(a: Any, b: Any) -> Any:
    """``a % b``: for %-formatting, widths and the arguments' text are sized first."""
    if isinstance(a, _TEXT):
        widths = 0
        specs = _PERCENT_TEXT.finditer(a) if isinstance(a, str) else _PERCENT_BYTES.finditer(a)
        for spec in specs:
            for part in spec.groups():
                if part in ("*", b"*"):
                    raise ScriptLimitExceeded("«*» som bredde i %-formatering er ikke tillatt")
                if part:
                    widths += int(part) if len(part) <= 7 else MAX_ITEMS + 1
        check_items(len(a) + widths + text_size(b), "formateringen (%)")
    return a % b


_SPEC_NUMBER = re.compile(r"\d+")
_CONVERSIONS = {-1: None, ord("s"): str, ord("r"): repr, ord("a"): ascii}


def format_value(value: Any, conversion: int, spec: str) -> str:
    """One ``{value!conversion:spec}`` of an f-string, with its width and text sized first."""
    size = len(value) if isinstance(value, _TEXT) else text_size(value) if isinstance(value, _WALKED) else 0
    if spec:
        for number in _SPEC_NUMBER.findall(spec):
            size += int(number) if len(number) <= 7 else MAX_ITEMS + 1
    if size > 1000:
        check_items(size, "f-strengen")
    convert = _CONVERSIONS.get(conversion)
    return format(convert(value) if convert else value, spec)


def join_parts(*parts: str) -> str:
    """An f-string's pieces (already formatted and sized), joined once their total is known."""
    total = sum(map(len, parts))
    if total > 1000:
        check_items(total, "f-strengen")
    return "".join(parts)


def build_sequence(kind: str, *parts: tuple[bool, Any]) -> list | tuple:
    """``[a, *b, *c]`` / ``(a, *b)``: each ``*``-part is counted before the display is built."""
    items: list = []
    total = 0
    for starred, value in parts:
        if starred:
            value = value if isinstance(value, _SIZED) else list(value)
            total += len(value)
        else:
            total += 1
        check_items(total, "utpakkingen (*)")
        if starred:
            items.extend(value)
        else:
            items.append(value)
    return tuple(items) if kind == "tuple" else items


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
    "&=": operator.iand, "^=": operator.ixor, "<<=": operator.ilshift, ">>=": operator.irshift,
}
_INPLACE_CHECKS: dict[str, Callable[[Any, Any], Any]] = {"+=": add, "*=": mul, "**=": power, "<<=": lshift, "%=": mod}


def inplace(op: str, x: Any, y: Any) -> Any:
    """``x op= y`` (RestrictedPython's ``_inplacevar_``): the same checks as the plain operators."""
    check = _INPLACE_CHECKS.get(op)
    if check is not None and not isinstance(x, (list, bytearray)):
        return check(x, y)                  # immutable: x op= y is x = x op y
    if op == "+=" and isinstance(x, (list, bytearray)):
        y = y if isinstance(y, _SIZED) else list(y)
        check_items(len(x) + len(y), "sammenslåingen (+=)")
    elif op == "*=" and isinstance(x, (list, bytearray)) and isinstance(y, int):
        check_items(len(x) * max(y, 0), "gjentakelsen (*=)")
    return _INPLACE[op](x, y)


# -- methods that grow their object ----------------------------------------------------------------
# Each check gets (self, args, kwargs) and returns the (args, kwargs) to call with: an iterator
# argument is turned into a list first, so it can be counted and still be used.

Args = tuple[tuple, dict]
Check = Callable[[Any, tuple, dict], Args]


def _padded(name: str) -> Check:
    def check(s: Any, args: tuple, kwargs: dict) -> Args:
        width = args[0] if args else kwargs.get("width")
        if isinstance(width, int):
            check_items(max(len(s), width), f".{name}()")
        return args, kwargs
    return check


def _expandtabs(s: Any, args: tuple, kwargs: dict) -> Args:
    size = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(size, int):
        check_items(len(s) + s.count("\t" if isinstance(s, str) else b"\t") * max(size, 0), ".expandtabs()")
    return args, kwargs


def _join(s: Any, args: tuple, kwargs: dict) -> Args:
    if len(args) == 1 and not kwargs:
        items = args[0] if isinstance(args[0], (list, tuple)) else list(args[0])
        try:
            total = sum(map(len, items)) + len(s) * max(len(items) - 1, 0)
        except TypeError:
            total = 0                       # not all text: join raises its own error
        check_items(total, ".join()")
        args = (items,)
    return args, kwargs


def _replace(s: Any, args: tuple, kwargs: dict) -> Args:
    if len(args) >= 2 and isinstance(args[0], _TEXT) and isinstance(args[1], _TEXT):
        old, new = args[0], args[1]
        try:
            n = s.count(old) if len(old) else len(s) + 1
        except TypeError:
            return args, kwargs
        count = args[2] if len(args) > 2 else -1
        if isinstance(count, int) and count >= 0:
            n = min(n, count)
        check_items(len(s) + n * max(len(new) - len(old), 0), ".replace()")
    return args, kwargs


def _translate(s: Any, args: tuple, kwargs: dict) -> Args:
    if isinstance(s, str) and args:
        table = args[0]
        values = dict.values(table) if isinstance(table, dict) else table if isinstance(table, (list, tuple)) else ()
        longest = max((len(v) for v in values if isinstance(v, str)), default=1)
        check_items(len(s) * max(longest, 1), ".translate()")
    return args, kwargs


def _one_more(s: Any, args: tuple, kwargs: dict) -> Args:
    check_items(len(s) + 1, "listen")
    return args, kwargs


def _extend(s: Any, args: tuple, kwargs: dict) -> Args:
    if len(args) == 1:
        items = args[0] if isinstance(args[0], _SIZED) else list(args[0])
        check_items(len(s) + len(items), ".extend()")
        args = (items,)
    return args, kwargs


def _to_bytes(n: Any, args: tuple, kwargs: dict) -> Args:
    length = args[0] if args else kwargs.get("length", 1)
    if isinstance(length, int):
        check_items(length, ".to_bytes()")
    return args, kwargs


_TEXT_METHODS: dict[str, Check] = {"join": _join, "ljust": _padded("ljust"), "rjust": _padded("rjust"),
                 "center": _padded("center"), "zfill": _padded("zfill"), "expandtabs": _expandtabs,
                 "replace": _replace, "translate": _translate}
_LIST_METHODS: dict[str, Check] = {"append": _one_more, "insert": _one_more, "extend": _extend}
_METHODS: dict[type, dict[str, Check]] = {
    str: _TEXT_METHODS, bytes: _TEXT_METHODS, bytearray: {**_TEXT_METHODS, **_LIST_METHODS},
    list: _LIST_METHODS, int: {"to_bytes": _to_bytes},
}


def _from_bytes(data: Any, *args: Any, **kwargs: Any) -> int:
    data = data if isinstance(data, _SIZED) else list(data)
    check_bits(len(data) * 8, "int.from_bytes()")
    return int.from_bytes(data, *args, **kwargs)


def getattr_(obj: Any, name: str, default: Any = None) -> Any:
    """RestrictedPython's ``_getattr_``: ``safer_getattr``, with the growing methods wrapped.

    ``x.append`` comes back as a Python-level wrapper even though appending one item is cheap:
    ``list(map(x.append, x))`` would otherwise grow ``x`` forever inside one C call, where neither
    the time nor the memory budget can look.
    """
    if isinstance(obj, GuardedType):
        obj = obj.real
    value = safer_getattr(obj, name, default)
    kind = obj if isinstance(obj, type) else type(obj)
    if name == "from_bytes" and issubclass(kind, int):     # a classmethod: (1).from_bytes is int.from_bytes
        return _from_bytes
    methods = _METHODS.get(kind)
    if methods is None:                     # a subclass (diagram code cannot make one, the engine might)
        methods = next((m for base, m in _METHODS.items() if issubclass(kind, base)), {})
    check = methods.get(name)
    if check is None or not callable(value):
        return value
    if isinstance(obj, type):               # str.join(sep, items): self is the first argument
        def unbound(self: Any, *args: Any, **kwargs: Any) -> Any:
            args, kwargs = check(self, args, kwargs)
            return value(self, *args, **kwargs)
        return unbound

    def bound(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = check(obj, args, kwargs)
        return value(*args, **kwargs)
    return bound


# -- builtins -----------------------------------------------------------------------------------

class GuardedType(type):
    """Stands in for a builtin type: calling it is checked; ``isinstance`` and attributes are the real type's."""

    real: type
    check: Callable[..., None]

    def __new__(mcs, real: type, check: Callable[..., None]) -> GuardedType:
        cls = super().__new__(mcs, real.__name__, (), {})
        cls.real, cls.check = real, check
        return cls

    def __init__(cls, real: type, check: Callable[..., None]) -> None:
        super().__init__(real.__name__, (), {})

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        cls.check(*args, **kwargs)
        return cls.real(*args, **kwargs)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls.real)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls.real)

    def __repr__(cls) -> str:
        return repr(cls.real)


def _check_str(*args: Any, **kwargs: Any) -> None:
    if len(args) == 1 and isinstance(args[0], _WALKED):    # str(text) is the text; numbers are short
        check_items(text_size(args[0]), "str()")


def _check_int(*args: Any, **kwargs: Any) -> None:
    if args and isinstance(args[0], _TEXT) and len(args[0]) > 5000:
        raise ScriptLimitExceeded("int() av tekst med mer enn 5 000 tegn er ikke tillatt")


#: ``range`` stays as small as RestrictedPython's own ``limited_range`` had it: loops in diagrams
#: walk case data, not counters.
MAX_RANGE = 1000


def _check_range(*args: Any, **kwargs: Any) -> None:
    try:
        n = len(range(*args, **kwargs))
    except OverflowError:
        n = MAX_RANGE + 1
    if n > MAX_RANGE:
        raise ScriptLimitExceeded(f"range() med {n:,} tall; grensen er {MAX_RANGE:,}".replace(",", " "))


def repr_(obj: Any) -> str:
    """``repr`` sized first: a list holding one long text many times is short to build, huge to print."""
    if isinstance(obj, _TEXT):
        check_items(len(obj) + 3, "repr()")
    elif isinstance(obj, _WALKED):
        check_items(text_size(obj), "repr()")
    return repr(obj)


def sum_(iterable: Any, /, start: Any = 0) -> Any:
    """``sum``: numbers as usual; sequences are added one by one through :func:`add`."""
    if isinstance(start, (int, float, complex)):
        return sum(iterable, start)
    total = start
    for item in iterable:
        total = add(total, item)
    return total


#: Replacements for RestrictedPython's builtins (``bytes`` and ``bytearray`` are not offered at all).
BUILTINS: dict[str, Any] = {
    "str": GuardedType(str, _check_str), "int": GuardedType(int, _check_int),
    "range": GuardedType(range, _check_range), "repr": repr_, "pow": power, "sum": sum_,
    "math": safe_modules.MATH, "random": safe_modules.RANDOM, "whrandom": safe_modules.RANDOM,
    "string": safe_modules.STRING,
}

#: The helpers ``sandbox_ast`` calls, by the names it gives them.
HELPERS: dict[str, Any] = {
    "_mul_": mul, "_pow_": power, "_lshift_": lshift, "_add_": add, "_mod_": mod,
    "_format_": format_value, "_fstring_": join_parts, "_sequence_": build_sequence,
    "_inplacevar_": inplace, "_getattr_": getattr_, "_checkpoint_": checkpoint,
}


def _codes(*functions: Callable[..., Any]) -> frozenset[CodeType]:
    found: set[CodeType] = set()
    stack = [f.__code__ for f in functions]
    while stack:
        code = stack.pop()
        found.add(code)
        stack.extend(c for c in code.co_consts if isinstance(c, CodeType))
    return frozenset(found)


#: Helpers the trace budget does not step through opcode by opcode: they run on every ``*`` and
#: ``+`` of a script, and none loops over diagram data (``sum_`` and ``prod`` do, so they are
#: traced; an iterator they materialize is diagram code and traced in its own frame).
UNTRACED_CODE = _codes(
    mul, power, lshift, add, mod, format_value, join_parts, build_sequence, inplace, getattr_,
    _padded, _expandtabs, _join, _replace, _translate, _one_more, _extend, _to_bytes, _from_bytes,
    GuardedType.__call__, GuardedType.__instancecheck__, GuardedType.__subclasscheck__, _check_str,
    _check_int, _check_range, repr_, check_items, check_bits, checkpoint, limits.rss_bytes,
    limits.MemoryMeter.exceeded, limits.MemoryMeter.error, safer_getattr)
