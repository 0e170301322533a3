"""The console's e-mail page in Chromium: an uncertain mail is sent again from the page, axe finds nothing."""
from __future__ import annotations

import pytest

from tests.browser.fixtures_pw import login, screenshot  # noqa: F401 - fixtures come from the plugin
from tests.browser.test_day import _axe
from tests.ops.test_mail_console import mails

pytestmark = pytest.mark.browser


def test_admin_sends_an_uncertain_mail_again_and_axe_finds_nothing(page, users):
    from engine.extensions import db
    from engine.store.notify import MailMessage
    mails(3, "sent", users["kari.gamleoslo"].id, attempts=1)
    (mail_id,) = mails(1, "uncertain", users["kari.gamleoslo"].id, attempts=1, error="worker stopped after DATA")
    login(page, "admin")
    page.goto("/admin/stuck")
    page.locator("#console-nav").get_by_role("link", name="E-post").click()
    page.wait_for_url("**/admin/epost")
    row = page.locator(f'tr[data-mail="{mail_id}"]')
    assert "Usikker – sjekk e-postloggen" in row.inner_text() and "kari.gamleoslo" in row.inner_text()
    row.locator("details summary").click()                        # the technical text, unfolded
    assert "worker stopped after DATA" in row.inner_text()
    assert _axe(page) == []
    screenshot(page, "admin-epost")
    row.get_by_role("button", name="Send på nytt").click()
    page.wait_for_load_state()
    assert "ligger i kø igjen" in page.locator(".flashes").inner_text()
    row = page.locator(f'tr[data-mail="{mail_id}"]')
    assert "Venter på sending" in row.inner_text() and row.get_by_role("button", name="Send på nytt").count() == 0
    assert _axe(page) == []
    db.session.expire_all()
    assert db.session.get(MailMessage, mail_id).state == "pending"
