"""How a case's workflow state is stored: compact JSON, compressed, behind a one-byte format tag.

Why: the routine's state is 90–115 KB of JSON (SpiffWorkflow keeps every task, with its data, and
the predicted path ahead), most of it repeated keys and copied task data. zstd at level 3 stores it
in ~12 KB for under a millisecond of CPU, and reads it back in a third of that — less than one
SQL statement (#15, «stored per case»). zlib was measured too: level 1 is 40 % larger and slower,
level 6 still larger and 3–8× slower.

Formats (the first byte decides, so every row ever written still loads):

* ``{`` — format 1: plain JSON text (rows written before #15, and SQLite rows read back as text);
* ``0x02`` — format 2: a zstd frame of that JSON;
* ``0x03`` — format 3: a zstd frame (level 6) of ``compact_state.pack`` — predicted tasks as their
  shape only, ids stored once as raw bytes, columns instead of one object per task (written since
  #15's session 5; the routine at registration 9,543 → 3,043 bytes, at T1 12,544 → 8,586).

A new format gets a new tag byte and a branch in :func:`decode`; old rows are never rewritten in
bulk, they move to the newest format the next time their case takes a step.
"""
from __future__ import annotations

import json
import threading
from typing import Any

import zstandard

from engine.bpmn import compact_state

FORMAT_JSON = ord("{")
FORMAT_ZSTD = 2
FORMAT_COMPACT = 3
_LEVEL = 3
#: Format 3 is a third of format 2's JSON, so a higher level costs little (≈0.4 ms at T1) and takes
#: another 7 % off (level 3: 9.6 KB at T1, 6: 8.9 KB, 9: 8.8 KB at 0.6 ms, 19: 8.4 KB at 20 ms).
_COMPACT_LEVEL = 6
#: zstandard's (de)compressor objects must not be shared between threads (a shared one fails with
#: «cannot compress» or crashes under concurrent requests), so each thread has its own pair.
_local = threading.local()


def _codecs() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor, zstandard.ZstdCompressor]:
    trio = getattr(_local, "trio", None)
    if trio is None:
        trio = _local.trio = (zstandard.ZstdCompressor(level=_LEVEL), zstandard.ZstdDecompressor(),
                              zstandard.ZstdCompressor(level=_COMPACT_LEVEL))
    return trio


class StateUnreadable(ValueError):
    """The stored bytes are no state format this version knows."""


def encode_text(text: str) -> bytes:
    """Stored bytes of a state given as JSON text (newest format)."""
    return bytes((FORMAT_ZSTD,)) + _codecs()[0].compress(text.encode())


def encode(state: dict[str, Any], encoder: type[json.JSONEncoder] | None = None) -> bytes:
    """Stored bytes of a state dict as SpiffWorkflow's serializer writes it (newest format: 3).

    A state the compact layout does not describe (``compact_state.NotPackable``: a field a newer
    SpiffWorkflow added, say) is stored as format 2, which keeps every field as written.
    """
    try:
        packed = compact_state.pack(state, encoder)
    except compact_state.NotPackable:
        return encode_text(json.dumps(state, cls=encoder, separators=(",", ":")))
    return bytes((FORMAT_COMPACT,)) + _codecs()[2].compress(packed)


def _decompress(body: bytes) -> bytes:
    try:
        return _codecs()[1].decompress(body)
    except zstandard.ZstdError as exc:
        raise StateUnreadable(f"ødelagt komprimert tilstand: {exc}") from exc


def decode_text(blob: bytes | str) -> str:
    """The JSON text of stored state, whatever format it was written in (format 3: unpacked)."""
    if isinstance(blob, str):
        return blob
    if not blob:
        raise StateUnreadable("tom tilstand")
    tag = blob[0]
    if tag == FORMAT_JSON:
        return blob.decode()
    if tag == FORMAT_ZSTD:
        return _decompress(blob[1:]).decode()
    if tag == FORMAT_COMPACT:
        return json.dumps(decode(blob), separators=(",", ":"))
    raise StateUnreadable(f"ukjent tilstandsformat {tag}")


def decode(blob: bytes | str) -> dict[str, Any]:
    """The state as a dict in SpiffWorkflow's layout (format 3: predicted tasks with new ids)."""
    try:
        if not isinstance(blob, str) and blob[:1] == bytes((FORMAT_COMPACT,)):
            return compact_state.unpack(_decompress(blob[1:]))
        value = json.loads(decode_text(blob))
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise StateUnreadable(str(exc)) from exc
    if not isinstance(value, dict):
        raise StateUnreadable("tilstanden er ikke et objekt")
    return value


def format_of(blob: bytes | str) -> int:
    """The format tag of stored state (for tests and the bench)."""
    return FORMAT_JSON if isinstance(blob, str) else blob[0]
