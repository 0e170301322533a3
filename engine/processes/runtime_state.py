"""Per-application runtime state: the engine, parsed specs per version, warm workflows per case.

Kept in ``app.extensions`` (not module globals) so two apps in one process — a test on SQLite and
one on PostgreSQL — never share a cache.  Nothing here is authoritative: every entry is validated
against the database (the case's ``version`` column) before use, so several processes can run.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from engine.bpmn.catalog import SpecBundle
from engine.bpmn.runtime import ProcessEngine

WARM_CASES = 2000


@dataclass
class RuntimeState:
    engine: ProcessEngine = field(default_factory=ProcessEngine)
    bundles: dict[int, SpecBundle] = field(default_factory=dict)
    workflows: OrderedDict[int, tuple[int, Any]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_workflow(self, case_id: int, version: int):
        """Remove and return the warm workflow of a case if it is at ``version`` (else None)."""
        with self.lock:
            entry = self.workflows.pop(case_id, None)
        if entry and entry[0] == version:
            return entry[1]
        return None

    def keep_workflow(self, case_id: int, version: int, wf) -> None:
        with self.lock:
            self.workflows[case_id] = (version, wf)
            while len(self.workflows) > WARM_CASES:
                self.workflows.popitem(last=False)

    def forget(self, case_id: int) -> None:
        with self.lock:
            self.workflows.pop(case_id, None)


def init_app(app) -> None:
    app.extensions["tilbolig"] = RuntimeState()


def state() -> RuntimeState:
    return current_app.extensions["tilbolig"]
