"""What an uploaded file *is*, told by its content — never by its name or the browser's word.

A small magic-number table for the types we accept (PDF, PNG, JPEG, GIF, WebP, and the office
formats), and a look inside zip containers: an Office Open XML document says what it is in its
``[Content_Types].xml``, an OpenDocument file in its first entry ``mimetype``. Anything else —
an ELF or Windows (MZ) program renamed ``rapport.pdf``, a script, a macro-enabled document, SVG
(which can carry script), an old binary Office file (OLE2, where macros hide) — is refused.
Pure: reads a file on disk, knows nothing of Flask or the database.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

PDF, PNG, JPEG, GIF, WEBP = "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT, ODS, ODP = ("application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
                 "application/vnd.oasis.opendocument.presentation")

#: Content type → the file extension a download gets (the stored name keeps the user's stem).
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", GIF: "gif", WEBP: "webp", DOCX: "docx", XLSX: "xlsx", PPTX: "pptx",
              ODT: "odt", ODS: "ods", ODP: "odp"}
#: What may be shown in the browser (images only; a PDF is downloaded — its viewer runs script).
INLINE = frozenset({PNG, JPEG, GIF, WEBP})

#: Office Open XML main parts → the document type; macro-enabled variants are not in the list.
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
_ODF = {ODT.encode(): ODT, ODS.encode(): ODS, ODP.encode(): ODP}
#: Executables and other content we name when refusing it (the person learns why).
_PROGRAMS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf",
             b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
#: How much of a zip's [Content_Types].xml we read (real ones are a few kB).
_MAX_MANIFEST = 256 * 1024


class Refused(Exception):
    """The content is not a type we accept; ``reason`` is said to the person (Norwegian)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str

    @property
    def inline(self) -> bool:
        return self.content_type in INLINE


PROGRAM = "Filen er et program eller et skript, ikke et dokument. Den ble ikke lagret."
UNKNOWN = ("Filtypen er ikke tillatt. Du kan laste opp PDF, bilder (PNG, JPEG, GIF, WebP) og "
           "kontordokumenter (Word, Excel, PowerPoint, OpenDocument).")
MACROS = "Dokumentet inneholder makroer og ble ikke lagret. Lagre det uten makroer (for eksempel .docx) og prøv igjen."


def sniff(path: Path) -> Kind:
    """The kind of the file at ``path``, or ``Refused`` with a sentence saying why."""
    with path.open("rb") as f:
        head = f.read(64)
    if head.startswith(_PROGRAMS):
        raise Refused(PROGRAM)
    found = _simple(head)
    if found is None and head.startswith(b"PK\x03\x04"):
        found = _zipped(path)
    if found is None:
        if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            raise Refused(UNKNOWN + " Eldre Office-filer (.doc, .xls) må lagres i nytt format.")
        raise Refused(UNKNOWN)
    return Kind(found, EXTENSIONS[found])


def _simple(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def _zipped(path: Path) -> str | None:
    """An office document by what the container says inside; a zip of anything else is refused."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if names and names[0] == "mimetype":
                with z.open("mimetype") as f:
                    return _ODF.get(f.read(100).strip())
            if "[Content_Types].xml" not in names:
                return None
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise Refused(MACROS)
            with z.open("[Content_Types].xml") as f:
                manifest = f.read(_MAX_MANIFEST).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None
    if "macroEnabled" in manifest:
        raise Refused(MACROS)
    for main, kind in _OOXML_MAIN.items():
        if f'ContentType="{main}"' in manifest:
            return kind
    return None
