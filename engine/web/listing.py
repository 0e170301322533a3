"""What the inbox and the case list share: keyset page links, and the user's saved filters (#14).

A page link is the list's own query string with the cursor swapped (``?etter=…`` for the next page,
``?foer=…`` for the previous one, neither for the first), so paging keeps every filter.
"""
from __future__ import annotations

from typing import Any

from flask import request, url_for

from engine.bpmn.lanes import Actor
from engine.cases import keyset, saved_filters


def cursor_of(args) -> keyset.Cursor | None:
    return keyset.cursor(args.get(keyset.FORWARD), args.get(keyset.BACKWARD))


def page_links(endpoint: str, page: keyset.Page) -> dict[str, str | None]:
    """URLs of the first, previous and next page (None where there is no such page)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k not in (keyset.FORWARD, keyset.BACKWARD)}
    return {"first": url_for(endpoint, **args) if page.prev else None,
            "prev": url_for(endpoint, **{**args, keyset.BACKWARD: page.prev}) if page.prev else None,
            "next": url_for(endpoint, **{**args, keyset.FORWARD: page.next}) if page.next else None}


def saved_of(actor: Actor, list_name: str) -> dict[str, Any]:
    """The user's saved filters of a list as links, and the current filter's query (to save it)."""
    endpoint = "pages.inbox" if list_name == saved_filters.INBOX else "pages.case_list"
    current = saved_filters.query_of(list_name, request.args.items(multi=True))
    links = [(f.id, f.name, url_for(endpoint) + ("?" + f.query if f.query else ""), f.query == current)
             for f in saved_filters.mine(actor, list_name)]
    return {"list": list_name, "links": links, "current": current}
