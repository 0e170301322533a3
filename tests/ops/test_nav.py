"""The console is reachable from the site menu — for the roles that may use it, and only them."""
from __future__ import annotations


def _menu(ctx, user) -> str:
    from tests.web.conftest import Browser
    # Signed in through the login form: a cookie saying {"user_id": …} counts for nothing since #13.
    browser = Browser(ctx.test_client()).login(user.username)
    return browser.get("/saker", follow_redirects=True).get_data(as_text=True)


def test_admin_menu_links_by_role(ctx, users):
    admin = _menu(ctx, users["admin"])
    assert 'href="/admin/stuck"' in admin and 'href="/admin/versions"' in admin
    owner = _menu(ctx, users["prosesseier"])
    assert 'href="/admin/stuck"' not in owner and 'href="/admin/versions"' in owner
    worker = _menu(ctx, users["kari.gamleoslo"])
    assert "/admin/" not in worker
