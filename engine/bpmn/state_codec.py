"""How a case's workflow state is stored: compact JSON, compressed, behind a one-byte format tag.

Why: the routine's state is 90–115 KB of JSON (SpiffWorkflow keeps every task, with its data, and
the predicted path ahead), most of it repeated keys and copied task data. zstd at level 3 stores it
in ~12 KB for under a millisecond of CPU, and reads it back in a third of that — less than one
SQL statement (#15, «stored per case»). zlib was measured too: level 1 is 40 % larger and slower,
level 6 still larger and 3–8× slower.

Formats (the first byte decides, so every row ever written still loads):

* ``{`` — format 1: plain JSON text (rows written before #15, and SQLite rows read back as text);
* ``0x02`` — format 2: a zstd frame of that JSON.

A new format gets a new tag byte and a branch in :func:`decode`; old rows are never rewritten in
bulk, they move to the newest format the next time their case takes a step.
"""
from __future__ import annotations

import json
import threading
from typing import Any

import zstandard

FORMAT_JSON = ord("{")
FORMAT_ZSTD = 2
_LEVEL = 3
#: zstandard's (de)compressor objects must not be shared between threads (a shared one fails with
#: «cannot compress» or crashes under concurrent requests), so each thread has its own pair.
_local = threading.local()


def _codecs() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    pair = getattr(_local, "pair", None)
    if pair is None:
        pair = _local.pair = (zstandard.ZstdCompressor(level=_LEVEL), zstandard.ZstdDecompressor())
    return pair


class StateUnreadable(ValueError):
    """The stored bytes are no state format this version knows."""


def encode_text(text: str) -> bytes:
    """Stored bytes of a state given as JSON text (newest format)."""
    return bytes((FORMAT_ZSTD,)) + _codecs()[0].compress(text.encode())


def decode_text(blob: bytes | str) -> str:
    """The JSON text of stored state, whatever format it was written in."""
    if isinstance(blob, str):
        return blob
    if not blob:
        raise StateUnreadable("tom tilstand")
    tag = blob[0]
    if tag == FORMAT_JSON:
        return blob.decode()
    if tag == FORMAT_ZSTD:
        try:
            return _codecs()[1].decompress(blob[1:]).decode()
        except zstandard.ZstdError as exc:
            raise StateUnreadable(f"ødelagt komprimert tilstand: {exc}") from exc
    raise StateUnreadable(f"ukjent tilstandsformat {tag}")


def decode(blob: bytes | str) -> dict[str, Any]:
    """The state as a dict."""
    try:
        value = json.loads(decode_text(blob))
    except ValueError as exc:
        raise StateUnreadable(str(exc)) from exc
    if not isinstance(value, dict):
        raise StateUnreadable("tilstanden er ikke et objekt")
    return value


def format_of(blob: bytes | str) -> int:
    """The format tag of stored state (for tests and the bench)."""
    return FORMAT_JSON if isinstance(blob, str) else blob[0]
