"""The ``math``, ``random`` and ``string`` that diagram code sees: the real functions, with the
ones that can build a huge number or list sized first.

``math.factorial(10**6)`` or ``random.randbytes(10**10)`` is one C call the time budget cannot
interrupt.  ``random.seed`` and the ``Random`` classes are left out: they reach the server's own
random state.  ``string`` keeps its constants and ``capwords`` (``Template`` and ``Formatter`` format
without limits).  Pure: no Flask, no database.
"""
from __future__ import annotations

import math
import random
import string
from types import SimpleNamespace
from typing import Any

from engine.bpmn.limits import MAX_INT_BITS, check_bits, check_items

_NUMBERS = (int, float, complex)


def _int(x: object) -> bool:
    return isinstance(x, int)


def _lgamma_bits(n: int, *ks: int) -> float:
    """log2(n! / (k1! k2! …)): the size of a factorial-like result, without computing it."""
    if n.bit_length() > 1000:
        return MAX_INT_BITS + 1
    return (math.lgamma(n + 1) - sum(math.lgamma(k + 1) for k in ks)) / math.log(2)


def factorial(n: Any) -> int:
    if _int(n) and n > 1:
        check_bits(_lgamma_bits(n), "math.factorial()")
    return math.factorial(n)


def comb(n: Any, k: Any) -> int:
    if _int(n) and _int(k) and 0 <= k <= n:
        check_bits(_lgamma_bits(n, k, n - k), "math.comb()")
    return math.comb(n, k)


def perm(n: Any, k: Any = None) -> int:
    if _int(n) and n > 1 and (k is None or (_int(k) and 0 <= k <= n)):
        check_bits(_lgamma_bits(n, n - (n if k is None else k)), "math.perm()")
    return math.perm(n, k)


def prod(iterable: Any, /, *, start: Any = 1) -> Any:
    """``math.prod`` of numbers, each product's size checked (``math.prod([2**4000] * 3)``)."""
    total = start
    for item in iterable:
        if isinstance(total, int) and isinstance(item, int):
            check_bits(total.bit_length() + item.bit_length(), "math.prod()")
        elif not isinstance(total, _NUMBERS) or not isinstance(item, _NUMBERS):
            raise TypeError("math.prod() tar bare tall")
        total = total * item
    return total


def lcm(*ints: Any) -> int:
    check_bits(sum(i.bit_length() for i in ints if _int(i)), "math.lcm()")
    return math.lcm(*ints)


def getrandbits(k: Any) -> int:
    if _int(k):
        check_bits(k, "random.getrandbits()")
    return random.getrandbits(k)


def randbytes(n: Any) -> bytes:
    if _int(n):
        check_items(n, "random.randbytes()")
    return random.randbytes(n)


def choices(population: Any, weights: Any = None, *, cum_weights: Any = None, k: Any = 1) -> list:
    if _int(k):
        check_items(k, "random.choices()")
    return random.choices(population, weights, cum_weights=cum_weights, k=k)


def sample(population: Any, k: Any, *, counts: Any = None) -> list:
    if _int(k):
        check_items(k, "random.sample()")
    return random.sample(population, k, counts=counts)


MATH = SimpleNamespace(**{**{k: v for k, v in vars(math).items() if not k.startswith("_")},
                          "factorial": factorial, "comb": comb, "perm": perm, "prod": prod, "lcm": lcm})
RANDOM = SimpleNamespace(
    **{name: getattr(random, name) for name in (
        "random", "uniform", "randint", "randrange", "choice", "shuffle", "gauss", "normalvariate",
        "lognormvariate", "triangular", "betavariate", "expovariate", "gammavariate", "paretovariate",
        "vonmisesvariate", "weibullvariate")},
    getrandbits=getrandbits, randbytes=randbytes, choices=choices, sample=sample)
STRING = SimpleNamespace(capwords=string.capwords, **{name: getattr(string, name) for name in (
    "ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits", "hexdigits", "octdigits",
    "punctuation", "printable", "whitespace")})
