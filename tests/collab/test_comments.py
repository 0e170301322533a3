"""Comments: who reads them (access matrix and consent), the reads logged, mentions recorded or refused,
edits and deletions kept — through the JSON API and the pages."""
from __future__ import annotations

import sqlalchemy as sa

from engine.cases import unit_of_work
from engine.extensions import db
from engine.store.collab import Comment, CommentRevision
from engine.store.models import AuditEvent
from tests.collab.conftest import access_rows, give_consent, withdraw_consent


def _post(api, user, case_id, body, category="saksgang", **kw):
    return api(user).post(f"/api/v1/cases/{case_id}/comments", json={"body": body, "category": category, **kw})


def _bodies(api, user, case_id, **query):
    r = api(user).get(f"/api/v1/cases/{case_id}/comments", query_string=query)
    return r.status_code, ([c["body"] for c in r.json["comments"]] if r.status_code == 200 else None), r.json


def test_who_reads_a_shared_comment(api, case, browser):
    """Given a comment the bydel shares as saksgang, then its bydel and the institution read it,
    another bydel gets 404, the resident and the administrator see no comments at all."""
    assert _post(api, "kari.gamleoslo", case["id"], "Møtet flyttes til tirsdag.").status_code == 201
    assert _bodies(api, "kari.gamleoslo", case["id"])[:2] == (200, ["Møtet flyttes til tirsdag."])
    assert _bodies(api, "ingrid.bygdoy", case["id"])[:2] == (200, ["Møtet flyttes til tirsdag."])
    assert _bodies(api, "ola.grunerlokka", case["id"])[0] == 404
    assert _bodies(api, "beboer.test", case["id"])[:2] == (200, [])
    assert _bodies(api, "admin", case["id"])[:2] == (200, [])
    # nor may they write one, and their pages have no comment section
    assert _post(api, "beboer.test", case["id"], "Hei").status_code == 403
    admin_page = browser("admin").get(f"/saker/{case['id']}").get_data(as_text=True)
    assert "Møtet flyttes" not in admin_page and 'id="kommentarer"' not in admin_page
    open_task = next(t["id"] for t in api("admin").get(f"/api/v1/cases/{case['id']}").json["tasks"])
    assert 'id="kommentarer"' in browser("kari.gamleoslo").get(f"/oppgaver/{open_task}").get_data(as_text=True)
    assert _post(api, "ola.grunerlokka", case["id"], "Hei").status_code == 404


def test_consent_decides_what_the_other_side_reads_and_a_withdrawal_hides_it_again(api, case):
    """Given a comment in a consent category and an internal one, then the institution sees neither
    (each named as held back) until consent covers the category; the internal one never; after the
    withdrawal the consent-bound one is held back again. The writer's colleagues always read both."""
    _post(api, "kari.gamleoslo", case["id"], "Referat fra møtet: ...", "moter_og_rapporter")
    _post(api, "kari.gamleoslo", case["id"], "Intern vurdering.", "intern")
    status, bodies, body = _bodies(api, "ingrid.bygdoy", case["id"])
    assert bodies == [] and len(body["withheld"]) == 2
    assert any("samtykket" in w["message"] for w in body["withheld"])
    assert _bodies(api, "leder.gamleoslo", case["id"])[1] == ["Referat fra møtet: ...", "Intern vurdering."]
    give_consent(case["id"])
    assert _bodies(api, "ingrid.bygdoy", case["id"])[1] == ["Referat fra møtet: ..."]
    withdraw_consent(case["id"])
    status, bodies, body = _bodies(api, "ingrid.bygdoy", case["id"])
    assert bodies == [] and body["withheld"][0]["consent"] == "trukket"


def test_every_read_is_logged_granted_or_not(api, case):
    _post(api, "kari.gamleoslo", case["id"], "Notat.")
    _bodies(api, "ingrid.bygdoy", case["id"])
    _bodies(api, "ola.grunerlokka", case["id"])
    # the writer's answer shows the comment back: a read too
    assert access_rows(case["id"], "read_comments") == [("kari.gamleoslo", True), ("ingrid.bygdoy", True),
                                                        ("ola.grunerlokka", False)]
    assert access_rows(case["id"], "comment") == [("kari.gamleoslo", True)]


def test_a_mention_is_recorded_as_a_change_the_hooks_see(api, case, users, app, monkeypatch):
    """Given kari mentions Ingrid (institution) and Per (her leader) in a shared comment, then one
    ``comment.mentioned`` audit change names both, and the change hooks (notifications) got it."""
    seen = []
    registry = unit_of_work.hooks(app)
    monkeypatch.setattr(registry, "on_changes", [*registry.on_changes, lambda cid, ch: seen.extend(ch)])
    r = _post(api, "kari.gamleoslo", case["id"], "@ingrid.bygdoy og @leder.gamleoslo: se planen.")
    assert r.status_code == 201, r.json
    assert r.json["mentions"] == ["ingrid.bygdoy", "leder.gamleoslo"]
    want = {"user_ids": [users["ingrid.bygdoy"].id, users["leder.gamleoslo"].id], "comment_id": r.json["id"]}
    rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.type == "comment.mentioned")).all()
    assert [e.data for e in rows] == [want]
    assert [c.data for c in seen if c.type == "comment.mentioned"] == [want]


def test_a_mention_of_someone_who_may_not_see_it_is_refused_and_nothing_is_saved(api, case):
    """Another bydel's caseworker, an unknown name, and the other side under a category the consent
    does not cover: 422 naming them; no comment, no change."""
    for body, category, name in [("@ola.grunerlokka se her", "saksgang", "@ola.grunerlokka"),
                                 ("@finnes.ikke hei", "saksgang", "@finnes.ikke"),
                                 ("@ingrid.bygdoy referat", "moter_og_rapporter", "@ingrid.bygdoy")]:
        r = _post(api, "kari.gamleoslo", case["id"], body, category)
        assert r.status_code == 422, r.json
        assert name in r.json["details"]["body"][0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.type.like("comment.%"))) == 0
    give_consent(case["id"])
    assert _post(api, "kari.gamleoslo", case["id"], "@ingrid.bygdoy referat", "moter_og_rapporter").status_code == 201


def test_edits_are_kept_and_a_deletion_keeps_the_record(api, case, users):
    r = _post(api, "kari.gamleoslo", case["id"], "Første tekst.")
    cid = r.json["id"]
    assert api("ingrid.bygdoy").patch(f"/api/v1/comments/{cid}", json={"body": "Kapret"}).status_code == 403
    r = api("kari.gamleoslo").patch(f"/api/v1/comments/{cid}", json={"body": "Andre tekst, @ingrid.bygdoy."})
    assert r.status_code == 200 and r.json["body"] == "Andre tekst, @ingrid.bygdoy."
    assert [v["body"] for v in r.json["revisions"]] == ["Første tekst."] and r.json["edited_at"]
    mentioned = db.session.scalars(sa.select(AuditEvent.data).where(AuditEvent.type == "comment.mentioned")).all()
    assert mentioned == [{"user_ids": [users["ingrid.bygdoy"].id], "comment_id": cid}]   # the edit's new mention
    r = api("kari.gamleoslo").delete(f"/api/v1/comments/{cid}")
    assert r.status_code == 200 and r.json["body"] is None and r.json["deleted_at"]
    db.session.expire_all()
    row = db.session.get(Comment, cid)
    assert row.body == "Andre tekst, @ingrid.bygdoy." and row.deleted_by_id == users["kari.gamleoslo"].id
    assert db.session.scalars(sa.select(CommentRevision.body)).all() == ["Første tekst."]
    assert api("kari.gamleoslo").patch(f"/api/v1/comments/{cid}", json={"body": "Igjen"}).status_code == 422
    types = db.session.scalars(sa.select(AuditEvent.type).where(AuditEvent.type.like("comment.%"))
                               .order_by(AuditEvent.id)).all()
    assert types == ["comment.added", "comment.edited", "comment.mentioned", "comment.deleted"]


def test_a_comment_on_a_task_is_listed_with_the_task(api, case, browser):
    task_id = next(t["id"] for t in case["tasks"] if t["element_id"] == "registrer")
    assert _post(api, "kari.gamleoslo", case["id"], "Om oppgaven.", task_id=task_id).status_code == 201
    assert _post(api, "kari.gamleoslo", case["id"], "Om saken.").status_code == 201
    assert _bodies(api, "kari.gamleoslo", case["id"], task_id=task_id)[1] == ["Om oppgaven."]
    assert _post(api, "kari.gamleoslo", case["id"], "Feil.", task_id="finnes-ikke").status_code == 422
    html = browser("kari.gamleoslo").get(f"/oppgaver/{task_id}").get_data(as_text=True)
    assert "Om oppgaven." in html and "Om saken." not in html


def test_the_case_page_writes_a_comment_and_keeps_the_text_when_a_mention_is_refused(case, browser):
    b = browser("kari.gamleoslo")
    b.get(f"/saker/{case['id']}")
    r = b.post(f"/saker/{case['id']}/kommentarer", {"kommentar": "Hei @ola.grunerlokka", "deles": "saksgang"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Kan ikke nevne @ola.grunerlokka" in html and "Hei @ola.grunerlokka</textarea>" in html
    r = b.post(f"/saker/{case['id']}/kommentarer", {"kommentar": "Hei @ingrid.bygdoy", "deles": "saksgang"})
    assert r.status_code == 302
    html = b.get(f"/saker/{case['id']}").get_data(as_text=True)
    assert "Hei @ingrid.bygdoy" in html and 'data-username="ingrid.bygdoy"' in html
    assert 'data-username="ola.grunerlokka"' not in html


def test_a_mention_rings_the_mentioned_persons_bell_once(api, case, users):
    """With notifications installed (engine.notify's change hook): the mention becomes one notification
    for Ingrid, linking to the comment; an edit that mentions her again adds none, a new name adds one."""
    from engine.access import rules as access
    from engine.notify import bell
    from engine.store.notify import Notification
    r = _post(api, "kari.gamleoslo", case["id"], "@ingrid.bygdoy se planen.")
    cid = r.json["id"]
    rows = db.session.scalars(sa.select(Notification).where(Notification.kind == "comment.mentioned")).all()
    assert [(n.user_id, n.link) for n in rows] == [(users["ingrid.bygdoy"].id, f"/saker/{case['id']}#kommentar-{cid}")]
    assert bell.unread_count(access.actor_for(users["ingrid.bygdoy"])) == 1
    api("kari.gamleoslo").patch(f"/api/v1/comments/{cid}", json={"body": "@ingrid.bygdoy og @leder.gamleoslo: se planen."})
    rows = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "comment.mentioned")).all()
    assert sorted(rows) == sorted([users["ingrid.bygdoy"].id, users["leder.gamleoslo"].id])
