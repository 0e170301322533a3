"""Scripts and expressions from diagrams run restricted and bounded."""
from __future__ import annotations

import pytest

from engine.bpmn.scripts import RestrictedEnvironment, ScriptTimeout


@pytest.mark.parametrize("source", [
    "import os", "__import__('os').system('id')", "open('/etc/passwd').read()",
    "x = ().__class__.__base__.__subclasses__()", "getattr(1, '__class__')",
])
def test_escapes_are_refused(source):
    with pytest.raises(Exception) as info:
        RestrictedEnvironment().execute(source, {})
    assert not isinstance(info.value, AssertionError)


def test_runaway_loop_is_stopped():
    with pytest.raises(ScriptTimeout):
        RestrictedEnvironment().execute("while True: pass", {})


def test_ordinary_scripts_and_deadline_helpers_work():
    ctx = {"n": 1, "innflytting": "2026-01-31"}
    env = RestrictedEnvironment()
    env.execute("n += 1\nliste = [i * 2 for i in range(3)]\nfrist_plan = frist_dato(innflytting, 'P1M')", ctx)
    assert ctx["n"] == 2 and ctx["liste"] == [0, 2, 4] and ctx["frist_plan"] == "2026-02-28"
    assert env.evaluate('frist(innflytting, "P14D")', ctx) == "2026-02-14T23:00:00+00:00"
