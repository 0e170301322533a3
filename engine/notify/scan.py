"""The worker's periodic scan (filled in by the notification commit)."""
from __future__ import annotations


def run_due(force: bool = False) -> None:
    """Nothing yet."""
