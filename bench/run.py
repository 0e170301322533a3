"""``make bench``: every benchmark in one run, each printing its own table."""
from __future__ import annotations

import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MODULES = ["bench.engine_bench", "bench.concurrency", "bench.inbox", "bench.timers", "bench.webhooks", "bench.web",
           "bench.casepage", "bench.console", "bench.scaleout", "bench.storage", "bench.survey", "bench.report"]


def main() -> None:
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.main()


if __name__ == "__main__":
    main()
