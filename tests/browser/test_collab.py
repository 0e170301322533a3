"""Comments and attachments in Chromium (#17): a comment with a mention picked from the autocomplete,
the mentioned colleague's bell rising by one, a PDF attached and downloaded by someone allowed,
refused to someone who is not; axe on the new parts."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from engine.extensions import db
from engine.store.collab import Attachment
from engine.store.models import AuditEvent
from engine.store.notify import Notification
from tests.browser.fixtures_pw import SCREENSHOTS, login, logout, submit
from tests.browser.test_day import _axe, _today
from tests.collab.conftest import PDF, store_dir  # noqa: F401 - blobs in the test's own tmp folder
from tests.web.conftest import open_case

pytestmark = pytest.mark.browser


def _unread(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.user_id == user_id, Notification.read_at.is_(None)))


def shot(page, name: str, first: str, last: str) -> None:
    """A screenshot of the page from ``first`` to the end of ``last`` (the README shows the new parts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    top, bottom = page.locator(first).bounding_box(), page.locator(last).bounding_box()
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True,
                    clip={"x": 0, "y": top["y"] - 12, "width": 1280,
                          "height": bottom["y"] + bottom["height"] - top["y"] + 24})


def test_comment_with_a_mention_attach_a_pdf_download_it_and_be_refused(page, tegnet, store_dir, users):  # noqa: F811
    case = open_case("tre_baner_tegnet", data={"innflytting": _today()})
    unread_before = _unread(users["ingrid.bygdoy"].id)
    login(page, "kari.gamleoslo")
    page.goto(f"/saker/{case.id}")
    # a comment shared as saksgang, mentioning Ingrid (institution) through the suggestions
    page.get_by_label("Hvem ser kommentaren").select_option("saksgang")
    box = page.get_by_label("Ny kommentar")
    box.fill("Kan du ta med statusrapporten til møtet, ")
    box.press_sequentially("@ingr")
    suggestions = page.locator("#mention-suggestions")
    suggestions.get_by_role("option", name="@ingrid.bygdoy – Ingrid Berg (primærkontakt, Bygdøy)").wait_for()
    expect(suggestions.get_by_role("option")).to_have_count(1)
    box.press("Enter")
    expect(box).to_have_value(re.compile(r"@ingrid\.bygdoy $"))
    box.press_sequentially("takk!")
    submit(page.get_by_role("button", name="Lagre kommentar"))
    page.wait_for_url(f"**/saker/{case.id}#kommentarer")
    assert "@ingrid.bygdoy takk!" in page.locator("#comment-list").inner_text()
    mention = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.type == "comment.mentioned")).one()
    assert mention.data["user_ids"] == [users["ingrid.bygdoy"].id]
    # a mention of someone outside the case is refused, the text kept
    box = page.get_by_label("Ny kommentar")
    box.fill("Til @ola.grunerlokka")
    submit(page.get_by_role("button", name="Lagre kommentar"))      # the page again, with the error
    expect(page.locator("#kommentar-error")).to_contain_text("Kan ikke nevne @ola.grunerlokka")
    expect(page.get_by_label("Ny kommentar")).to_have_value("Til @ola.grunerlokka")
    assert _axe(page, "#kommentarer") == []
    # attach a PDF, shared as saksgang
    page.goto(f"/saker/{case.id}")
    page.locator("#fil").set_input_files(files=[{"name": "statusrapport.pdf", "mimeType": "application/pdf",
                                                 "buffer": PDF}])
    page.get_by_label("Hvem ser vedlegget").select_option("saksgang")
    submit(page.get_by_role("button", name="Last opp"))
    page.wait_for_url(f"**/saker/{case.id}#vedlegg")
    link = page.locator("#attachment-list").get_by_role("link", name="statusrapport.pdf")
    expect(link).to_have_count(1)
    # a renamed program is refused with a clear message
    page.locator("#fil").set_input_files(files=[{"name": "rapport.pdf", "mimeType": "application/pdf",
                                                 "buffer": b"MZ\x90\x00" + b"\x00" * 64}])
    submit(page.get_by_role("button", name="Last opp"))
    expect(page.locator("#fil-error")).to_contain_text("Filen er et program eller et skript")
    assert _axe(page, "#vedlegg") == []
    # an edit keeps the earlier text, shown under «1 tidligere versjon»
    page.goto(f"/saker/{case.id}")
    comment = page.locator("#comment-list li").first
    comment.get_by_text("Endre").click()
    comment.get_by_label("Ny tekst").fill("Kan du ta med statusrapporten til møtet 3. desember, @ingrid.bygdoy?")
    submit(comment.get_by_role("button", name="Lagre endringen"))
    comment = page.locator("#comment-list li").first
    comment.get_by_text("1 tidligere versjon").click()
    # inner text: the earlier text is shown once the history is opened
    expect(comment.locator(".comment-history")).to_contain_text("@ingrid.bygdoy takk!", use_inner_text=True)
    assert _axe(page, "#kommentarer") == []
    page.goto(f"/saker/{case.id}")
    page.locator("#comment-list li").first.get_by_text("1 tidligere versjon").click()
    shot(page, "kommentarer-og-vedlegg", "#vedlegg", "#kommentarer")
    attachment_id = db.session.scalars(sa.select(Attachment.id)).one()
    logout(page)
    # Ingrid (the institution) may read it: the download is the same bytes
    login(page, "ingrid.bygdoy")
    # the mention rang Ingrid's bell (once, though the edit names her again); «Åpne» leads to the comment
    assert page.locator("#bell-count").inner_text().split()[0] == str(unread_before + 1)
    page.locator("#bell").click()
    page.wait_for_url("**/varsler")
    mentioned = page.locator("#notifications li", has_text="Du er nevnt i en kommentar")
    expect(mentioned).to_have_count(1)
    submit(mentioned.get_by_role("button", name="Åpne"))
    page.wait_for_url(f"**/saker/{case.id}#kommentar-*")
    assert page.locator("#bell-count").count() == 0 or \
        page.locator("#bell-count").inner_text().split()[0] == str(unread_before)
    page.goto(f"/saker/{case.id}")
    assert "møtet 3. desember, @ingrid.bygdoy?" in page.locator("#comment-list").inner_text()
    with page.expect_download() as got:
        page.locator("#attachment-list").get_by_role("link", name="statusrapport.pdf").click()
    download = got.value
    assert download.suggested_filename == "statusrapport.pdf"
    with open(download.path(), "rb") as f:
        assert f.read() == PDF
    assert _axe(page, "#kommentarer") == [] and _axe(page, "#vedlegg") == []
    logout(page)
    # Ola (another bydel) may not: the not-found page, nothing of the file
    login(page, "ola.grunerlokka")
    response = page.goto(f"/vedlegg/{attachment_id}")
    assert response.status == 404
    assert "%PDF" not in page.content() and page.locator("h1").count() == 1
