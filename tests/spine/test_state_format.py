"""The case state is stored compressed behind a format tag, and rows of the old formats still load (#15)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.bpmn import state_codec
from engine.extensions import db
from engine.ops import migration
from engine.processes import deployments
from engine.processes.runtime_state import state as engine_state
from engine.store.models import Case
from tests.spine.test_cases import _open, _task


def _case(case_id: int) -> Case:
    return db.session.get(Case, case_id)


def _stored(case_id: int) -> bytes:
    db.session.rollback()
    return db.session.execute(sa.select(Case.state).where(Case.id == case_id)).scalar_one()


def test_a_new_case_is_stored_compressed_and_reads_back_to_the_same_json(api, tre_baner, clock_at):
    case = _open(api, clock_at)
    blob = _stored(case["id"])
    assert state_codec.format_of(blob) == state_codec.FORMAT_COMPACT
    text = state_codec.decode_text(blob)
    assert text.startswith("{") and '"format":"tilbolig-1/spiff-1.5"' in text
    assert len(blob) * 3 < len(text.encode())      # a fixture case compresses well over 3×


@pytest.mark.parametrize("old_format", [state_codec.FORMAT_JSON, state_codec.FORMAT_ZSTD])
def test_a_row_in_an_old_format_still_loads_runs_and_is_then_rewritten(api, tre_baner, clock_at, old_format):
    case = _open(api, clock_at)
    # SpiffWorkflow's own layout, every task: what every session before format 3 wrote
    wf = engine_state().engine.restore(deployments.bundle_for(_case(case["id"]).process_version_id),
                                       _stored(case["id"]))
    text = engine_state().engine.dump_json(wf)
    if old_format == state_codec.FORMAT_ZSTD:
        old = state_codec.encode_text(text)
    else:   # plain JSON text (SQLite keeps it as TEXT)
        old = text if db.engine.dialect.name == "sqlite" else text.encode()
    db.session.execute(sa.text("UPDATE cases SET state = :s WHERE id = :id"), {"s": old, "id": case["id"]})
    db.session.commit()
    assert state_codec.format_of(_stored(case["id"])) == old_format
    task_id = _task(case, "registrer")["id"]
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}})
    assert r.status_code == 200, r.json
    assert r.json["version"] == 2
    assert state_codec.format_of(_stored(case["id"])) == state_codec.FORMAT_COMPACT


def test_unreadable_state_is_named_not_crashed_on():
    with pytest.raises(state_codec.StateUnreadable, match="ukjent tilstandsformat 7"):
        state_codec.decode(b"\x07garbage")
    with pytest.raises(state_codec.StateUnreadable, match="ødelagt"):
        state_codec.decode(b"\x02not zstd")
    with pytest.raises(state_codec.StateUnreadable):
        state_codec.decode(b"[1, 2]")


def test_migration_check_reports_an_unreadable_state(api, tre_baner, clock_at):
    case = _open(api, clock_at)
    db.session.execute(sa.update(Case).where(Case.id == case["id"]).values(state=b"\x07x"))
    db.session.commit()
    row = db.session.get(Case, case["id"])
    assert migration.check(row, None) == ["tilstanden kan ikke leses"]


def test_threads_compress_and_decompress_at_once_without_sharing_a_codec():
    # a shared zstandard compressor failed («cannot compress») or crashed under concurrent requests
    import threading
    text = '{"format":"x","tasks":{' + ",".join(f'"{i}":{{"state":64}}' for i in range(2000)) + "}}"
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(200):
                assert state_codec.decode_text(state_codec.encode_text(text)) == text
        except BaseException as exc:   # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
