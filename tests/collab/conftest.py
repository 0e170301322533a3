"""Fixtures for comments and attachments: a case on the three-lane fixture (bydel Gamle Oslo,
institution Bygdøy, resident beboer.test), a blob store in the test's own tmp folder, consent rows,
and files of every kind the sniffing knows (built here, nothing downloaded)."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest

from tests.web.conftest import browser  # noqa: F401 - the logged-in test client

BOTH = ["bydel_til_institusjon", "institusjon_til_bydel"]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
MZ = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def office(main: str = WORD_MAIN, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office Open XML container whose [Content_Types].xml names ``main``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   f'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="{main}"/></Types>')
        z.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


@pytest.fixture()
def store_dir(app, tmp_path):
    """Blobs go to this test's tmp folder (never a shared path)."""
    old = app.config.get("ATTACHMENT_STORE_DIR")
    app.config["ATTACHMENT_STORE_DIR"] = str(tmp_path / "blobs")
    app.extensions.pop("tilbolig.attachments", None)
    yield tmp_path / "blobs"
    app.config["ATTACHMENT_STORE_DIR"] = old
    app.extensions.pop("tilbolig.attachments", None)


@pytest.fixture()
def case(api, tre_baner, clock_at, store_dir) -> dict:
    from tests.ops.helpers import open_case
    clock_at(2026, 3, 2, 9)
    return open_case(api)


def give_consent(case_id: int, categories=("moter_og_rapporter",), directions=tuple(BOTH)) -> None:
    from engine import clock
    from engine.extensions import db
    from engine.store.consent import Consent
    today = clock.today_oslo()
    db.session.add(Consent(case_id=case_id, given=True, categories=list(categories), directions=list(directions),
                           given_on=today, valid_until=today + timedelta(days=180), recorded_at=clock.now()))
    db.session.commit()


def withdraw_consent(case_id: int) -> None:
    import sqlalchemy as sa

    from engine import clock
    from engine.extensions import db
    from engine.store.consent import Consent
    db.session.execute(sa.update(Consent).where(Consent.case_id == case_id).values(withdrawn_at=clock.now()))
    db.session.commit()


def access_rows(case_id: int, action: str) -> list[tuple[str, bool]]:
    import sqlalchemy as sa

    from engine.extensions import db
    from engine.store.models import AccessLog, User
    rows = db.session.execute(sa.select(User.username, AccessLog.granted).join(User, User.id == AccessLog.user_id)
                              .where(AccessLog.case_id == case_id, AccessLog.action == action)
                              .order_by(AccessLog.id)).all()
    return [(u, bool(g)) for u, g in rows]


def with_file_field() -> dict[str, bytes]:
    """The three-lane fixture whose form (enkel.schema.json) has a file field «vedlegg»."""
    from tests.conftest import fixture_files
    files = fixture_files("tre_baner.bpmn", "enkel.schema.json")
    schema = json.loads(files["enkel.schema.json"])
    schema["properties"]["vedlegg"] = {"type": "string", "format": "vedlegg", "title": "Rapport"}
    files["enkel.schema.json"] = json.dumps(schema).encode()
    return files


