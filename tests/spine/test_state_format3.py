"""Format 3 of the stored state (``compact_state``): saved rows of every format load, odd states fall back (#15)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.bpmn import compact_state, state_codec
from engine.processes import deployments
from engine.processes.runtime_state import state as engine_state

ROWS = Path(__file__).parent / "state_rows"
#: One case of the three-lane fixture after «registrer» and «samtykke», saved once in each format
#: (``format1.json`` as every row before #15, ``format2.zst`` before session 5, ``format3.bin`` now).
EXPECTED = json.loads((ROWS / "expected.json").read_text())


@pytest.mark.parametrize(("name", "tag"), [("format1.json", state_codec.FORMAT_JSON),
                                           ("format2.zst", state_codec.FORMAT_ZSTD),
                                           ("format3.bin", state_codec.FORMAT_COMPACT)])
def test_a_saved_row_of_each_format_restores_the_same_case_and_runs_on(tre_baner, name, tag):
    blob = (ROWS / name).read_bytes()
    assert state_codec.format_of(blob) == tag
    engine = engine_state().engine
    wf = engine.restore(deployments.bundle_for(tre_baner.id), blob)
    [(plan_id, element)] = EXPECTED["ready"]
    assert [(t.id, t.element_id) for t in engine.ready_tasks(wf)] == [(plan_id, element)]
    assert engine.task_data(wf, plan_id) == EXPECTED["data"]
    assert [[t.task_id, t.element_id, t.due.isoformat()] for t in engine.waiting_timers(wf)] == EXPECTED["timers"]
    # what it writes now is format 3, and that reads back to the same open task and timer
    again = engine.restore(deployments.bundle_for(tre_baner.id), engine.dump(wf))
    assert state_codec.format_of(engine.dump(wf)) == state_codec.FORMAT_COMPACT
    assert [t.id for t in engine.ready_tasks(again)] == [plan_id]
    assert [t.task_id for t in engine.waiting_timers(again)] == [EXPECTED["timers"][0][0]]
    engine.complete(again, plan_id, {"antall": 2})
    assert engine.is_completed(again) and engine.data(again)["antall"] == 2


def test_format3_is_smaller_and_has_every_kept_task_as_written():
    full = json.loads((ROWS / "format1.json").read_text())
    packed = state_codec.decode((ROWS / "format3.bin").read_bytes())
    assert len((ROWS / "format3.bin").read_bytes()) < len((ROWS / "format2.zst").read_bytes())
    before, after = full["tasks"], packed["tasks"]
    for tid, task in after.items():
        if task["state"] in compact_state.PREDICTED:
            assert tid not in before     # a predicted task gets a new id ...
            continue
        old = before[tid]
        assert {k: v for k, v in task.items() if k not in ("children", "delta")} == \
               {k: v for k, v in old.items() if k not in ("children", "delta")}
        assert task["delta"] in (old["delta"], {})       # {}: the task has no data (see CompactTaskConverter)
    shape = sorted((t["task_spec"], t["state"]) for t in before.values() if t["state"] in compact_state.PREDICTED)
    assert shape == sorted((t["task_spec"], t["state"]) for t in after.values()
                           if t["state"] in compact_state.PREDICTED)   # ... of the same element and state


def test_a_state_the_compact_layout_does_not_describe_is_stored_as_format_2():
    state = json.loads((ROWS / "format1.json").read_text())
    next(iter(state["tasks"].values()))["a_field_from_a_newer_spiffworkflow"] = 1
    blob = state_codec.encode(state)
    assert state_codec.format_of(blob) == state_codec.FORMAT_ZSTD
    assert state_codec.decode(blob) == state


def test_children_in_an_order_of_their_own_are_kept():
    state = json.loads((ROWS / "format1.json").read_text())
    parent = next(t for t in state["tasks"].values() if len(t["children"]) > 1
                  and all(state["tasks"][c]["state"] not in compact_state.PREDICTED for c in t["children"]))
    parent["children"].reverse()
    assert compact_state.unpack(compact_state.pack(state))["tasks"][parent["id"]]["children"] == parent["children"]


def test_a_broken_format3_row_is_named_not_crashed_on():
    with pytest.raises(state_codec.StateUnreadable, match="ødelagt"):
        state_codec.decode(b"\x03not zstd")
    good = (ROWS / "format3.bin").read_bytes()
    with pytest.raises(state_codec.StateUnreadable):
        state_codec.decode(b"\x03" + state_codec._codecs()[2].compress(b'{"t":1}'))
    assert state_codec.decode(good)["tasks"]
