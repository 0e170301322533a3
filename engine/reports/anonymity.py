"""Small-cell suppression for figures that leave the organisation that owns the cases.

Why: Oslostandard tiltak 9 asks the bydeler to report the livskvalitet count «i anonymisert form», and
a cross-organisation view must not let anyone single out a resident. A count below the threshold
(5 unless told) is withheld (None), and so is any figure computed from such a group (a median, a share).
One function, so the report, the survey and their exports cannot disagree about what is hidden.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

K = TypeVar("K")

MIN_CELL = 5


def is_small(count: int, minimum: int = MIN_CELL) -> bool:
    """True when a group of `count` people is too small to show (0 is not a person, so it may be shown)."""
    return 0 < count < minimum


def suppress_counts(cells: Mapping[K, int], minimum: int = MIN_CELL) -> dict[K, int | None]:
    """The counts with every small cell replaced by None."""
    return {key: (None if is_small(n, minimum) else n) for key, n in cells.items()}


def suppress_value(value: float | int | None, group_size: int, minimum: int = MIN_CELL) -> float | int | None:
    """A figure derived from a group (mean, median, share) — withheld when the group is small."""
    return None if is_small(group_size, minimum) else value
