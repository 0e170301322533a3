"""Where attachment bytes live: content-addressed (by sha256), behind a three-method interface.

``DiskStore`` keeps each blob once under ``instance/attachments/ab/cd/<sha256>``; the same file
uploaded twice (to two cases, by two people) is one blob and two attachment rows. Another store —
an S3-compatible object store — implements the same :class:`BlobStore` (``put`` takes a finished
temporary file and its digest, ``get`` gives a readable binary stream, ``exists``) and is chosen
when the app is built; nothing else changes. Blobs are never deleted here: a deleted attachment
only marks its row, and the record keeps what was shared.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO, Protocol

CHUNK = 64 * 1024


class BlobStore(Protocol):
    def put(self, digest: str, source: Path) -> None:
        """Store the file at ``source`` (whose sha256 is ``digest``); a blob already there is kept."""

    def get(self, digest: str) -> BinaryIO:
        """A binary stream of the blob (``FileNotFoundError`` if it is not stored)."""

    def exists(self, digest: str) -> bool: ...

    def scratch(self) -> Path:
        """A folder for an upload in progress (the same file system as the blobs, so ``put`` is a rename)."""


class TooLarge(Exception):
    """The upload passed the size cap; what was read so far is already thrown away."""


def _valid(digest: str) -> str:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("not a sha256 hex digest")
    return digest


class DiskStore:
    """Blobs in a folder on local disk (the default: ``<instance>/attachments``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        d = _valid(digest)
        return self.root / d[:2] / d[2:4] / d

    def put(self, digest: str, source: Path) -> None:
        target = self.path(digest)
        if target.exists():
            source.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)      # atomic: a crash leaves either nothing or the whole blob

    def get(self, digest: str) -> BinaryIO:
        return self.path(digest).open("rb")

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def scratch(self) -> Path:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def spool(store: BlobStore, chunks: Iterator[bytes], limit: int) -> tuple[Path, str, int]:
    """Write an upload to a scratch file while hashing it, stopping as soon as it passes ``limit``.

    Returns (the scratch file, its sha256, its size). Memory holds one chunk at a time, never the file.
    """
    fd, name = tempfile.mkstemp(dir=store.scratch(), prefix="upload-")
    path, digest, size = Path(name), hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise TooLarge()
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size


def read_chunks(stream: IO[bytes], size: int = CHUNK) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk
