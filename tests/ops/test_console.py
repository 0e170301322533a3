"""The console in plain words (#14 item 7), server side: Norwegian states, Oslo time with its zone,
selects and pickers instead of typed ids, refusals shown as errors with the values kept, compact
versions, and the events page with redelivery."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from engine.extensions import db
from engine.store.models import AuditEvent, Case, Timer
from engine.store.webhooks import InboundEvent, OutboxEvent, WebhookSubscription
from engine.web import i18n
from tests.conftest import FIXTURES
from tests.ops.helpers import errored, open_case, to_plan
from tests.web.conftest import browser  # noqa: F401 - fixture
from tests.webhooks.conftest import venter, wh  # noqa: F401 - fixtures
from tests.webhooks.helpers import complete as wh_complete
from tests.webhooks.helpers import open_case as wh_open_case

V2 = Path(__file__).parent / "tre_baner_v2.bpmn"
ENGINE_WORDS = re.compile(r">\s*(running|error|suspended|completed|terminated|pending|dead|held|failed|delivered|"
                          r"unmatched)\s*<")


def _labels_are_bound(html: str) -> None:
    """Every <label for> names an element that exists, and every visible input/select/textarea has a label."""
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    for target in re.findall(r'<label for="([^"]+)"', html):
        assert target in ids, f"label for missing #{target}"
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in tag or 'type="submit"' in tag:
            continue
        m = re.search(r'\sid="([^"]+)"', tag)
        assert m and m.group(1) in labelled, f"unlabelled control {tag}"


def test_oslo_time_carries_its_zone_and_the_picker_is_read_as_oslo_time(ctx):
    winter = datetime(2026, 11, 28, 13, 5, tzinfo=timezone.utc)
    summer = datetime(2026, 6, 1, 6, 0, tzinfo=timezone.utc)
    with ctx.test_request_context():
        assert i18n.format_datetime_zone(winter) == "28.11.2026 kl. 14.05 norsk tid (CET)"
        assert i18n.format_datetime_zone(summer) == "01.06.2026 kl. 08.00 norsk tid (CEST)"
    assert i18n.parse_local("2026-06-01T08:00") == summer
    assert i18n.parse_local("2026-11-28T14:05") == winter
    assert i18n.local_input(summer) == "2026-06-01T08:00"
    assert i18n.parse_local("1. juni") is None and i18n.parse_local("") is None


def test_stuck_list_speaks_norwegian_names_elements_and_folds_the_engine_text(browser, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    html = browser("admin").get("/admin/stuck").get_data(as_text=True)
    card = html[html.index(f'id="stuck-{case["id"]}"'):]
    card = card[:card.index("</article>")]
    assert "Stoppet på grunn av feil" in card and not ENGINE_WORDS.search(card)
    assert "delte på null" in card                                   # ZeroDivisionError explained …
    tech = card[card.index('<details class="tech">'):]
    assert "ZeroDivisionError" in tech and "ZeroDivisionError" not in card[:card.index('<details class="tech">')]
    assert "norsk tid (CET)" in card                                 # 1 March: winter time
    assert f'href="/admin/cases/{case["id"]}/repair"' in card
    _labels_are_bound(html)
    assert 'name="process_version_id"' in html and "<select name=\"process_version_id\"" in html


def test_repair_page_offers_the_cases_tasks_timers_and_steps_by_name(browser, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    r = browser("admin").get(f"/admin/cases/{case['id']}/repair")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    _labels_are_bound(html)
    assert "Stoppet på grunn av feil" in html and not ENGINE_WORDS.search(html)
    # move back: a select of the completed tasks by their diagram names, not a typed element id
    select = html[html.index('id="move_token-element"'):]
    select = select[:select.index("</select>")]
    assert '<option value="registrer"' in select and "Registrer" in select
    assert 'name="element_id"' in html and '<input name="element_id"' not in html
    assert 'type="datetime-local"' not in html or "reschedule_timer-due" in html
    db.session.expire_all()


def test_reschedule_from_the_picker_is_oslo_time(browser, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = to_plan(api)
    timer = db.session.scalar(sa.select(Timer).where(Timer.case_id == case["id"]))
    assert timer is not None, "the fixture's plan has a deadline timer"
    b = browser("admin")
    html = b.get(f"/admin/cases/{case['id']}/repair").get_data(as_text=True)
    assert 'type="datetime-local" id="reschedule_timer-due"' in html
    assert f'<option value="{timer.task_id}"' in html
    r = b.post(f"/admin/cases/{case['id']}/repair", {"action": "reschedule_timer", "timer": timer.task_id,
                                                     "due_at": "2026-06-01T08:00", "reason": "avtalt med bydelen"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    db.session.expire_all()
    moved = db.session.get(Timer, timer.id)
    assert moved.due_at.replace(tzinfo=timezone.utc) == datetime(2026, 6, 1, 6, 0, tzinfo=timezone.utc)


def test_a_refused_repair_is_an_error_with_4xx_and_keeps_what_was_typed(browser, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    b = browser("admin")
    # the same bad data again: the engine fails again, the case is unchanged
    r = b.post(f"/admin/cases/{case['id']}/repair", {"action": "retry", "reason": "prøver med 0", "data": '{"deler": "0"}'})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    summary = html[html.index('id="feiloppsummering"') - 60:]
    assert 'class="error-summary" role="alert"' in summary[:200] and "Prøv igjen ble ikke utført" in summary
    assert "Steget «Beregn» feilet igjen: En beregning i prosessen delte på null" in summary
    assert "flash ok" not in html
    form = html[html.index('id="form-retry"'):]
    assert ">prøver med 0</textarea>" in form and "{&#34;deler&#34;: &#34;0&#34;}</textarea>" in form
    # a missing reason: 422, the field linked from the summary, the data kept
    r = b.post(f"/admin/cases/{case['id']}/repair", {"action": "retry", "reason": "", "data": '{"deler": "4"}'})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and '<a href="#retry-reason">Begrunnelse: Skriv hvorfor saken rettes.</a>' in html
    assert "{&#34;deler&#34;: &#34;4&#34;}</textarea>" in html
    # unreadable JSON and an unpicked time are refused by the page with the same shape
    r = b.post(f"/admin/cases/{case['id']}/repair", {"action": "retry", "reason": "x", "data": "{deler: 4"})
    assert r.status_code == 422 and 'href="#retry-data"' in r.get_data(as_text=True)
    # a refused status change (resume a case that is not on hold) is a 409, shown as an error
    r = b.post(f"/admin/cases/{case['id']}/repair", {"action": "resume", "reason": "vil fortsette"})
    assert r.status_code == 409 and "Saken er ikke satt på vent." in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case["id"]).status == "error"
    # and a repair that works still goes back to the list with a Norwegian status
    r = b.post(f"/admin/cases/{case['id']}/repair", {"action": "retry", "reason": "rettet deler", "data": '{"deler": "4"}'})
    assert r.status_code == 302
    assert "Saken har nå status «Pågår»" in b.get("/admin/stuck").get_data(as_text=True)


def _deploy_v2(browser, tre_baner):
    b = browser("admin")
    r = b.post("/admin/versions", {"files": [(open(V2, "rb"), "tre_baner.bpmn"),
                                             (open(FIXTURES / "enkel.schema.json", "rb"), "enkel.schema.json")]},
               content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    return b, tre_baner.id + 1


def test_versions_page_is_compact_rows_by_number_with_files_folded(browser, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    open_case(api)
    b, v2 = _deploy_v2(browser, tre_baner)
    html = b.get("/admin/versions").get_data(as_text=True)
    assert html.count("data-version=") == 2
    row = html[html.index(f'data-version="{v2}"'):]
    row = row[:row.index("</tr>")]
    assert "versjon 2" in row and "norsk tid" in row and "av admin" in row
    assert '<details class="files"><summary>2 filer</summary>' in row      # the file list is folded
    old = html[html.index(f'data-version="{tre_baner.id}"'):]
    old = old[:old.index("</tr>")]
    assert f"/admin/migrations?from_version_id={tre_baner.id}&amp;to_version_id={v2}" in old
    assert "Flytt til versjon 2" in old
    _labels_are_bound(html)


def test_migration_chooses_versions_by_number_and_a_refusal_keeps_the_choice(browser, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    open_case(api)
    b, v2 = _deploy_v2(browser, tre_baner)
    html = b.get(f"/admin/migrations?from_version_id={tre_baner.id}&to_version_id={v2}").get_data(as_text=True)
    _labels_are_bound(html)
    assert f'<option value="{tre_baner.id}" selected>' in html and "versjon 1 (1 løpende sak)" in html
    # the same version twice: refused, 422, the summary links the field, both choices kept
    r = b.post("/admin/migrations", {"from_version_id": str(v2), "to_version_id": str(v2), "reason": "test",
                                     "run": "0"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'role="alert"' in html and "Fra- og til-versjon er den samme." in html
    assert html.count(f'<option value="{v2}" selected>') == 2 and 'value="test"' in html
    r = b.post("/admin/migrations", {"from_version_id": "", "to_version_id": str(v2), "run": "0"})
    assert r.status_code == 422 and 'href="#m-from_version_id"' in r.get_data(as_text=True)
    r = b.post("/admin/migrations", {"from_version_id": str(tre_baner.id), "to_version_id": str(v2), "run": "0"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="migration-report"' in html and "versjon 1 → " in html
    assert "(Pågår)" in html


def _sub() -> WebhookSubscription:
    sub = WebhookSubscription(url="https://mottaker.example/hook", secret="x", event_types=["case.opened"],
                              description="Boligkontorets saksarkiv", active=True)
    db.session.add(sub)
    db.session.commit()
    return sub


def _outbox(sub, n: int, state: str, attempts: int = 0) -> list[int]:
    from engine import clock
    ids = []
    for i in range(n):
        row = OutboxEvent(subscription_id=sub.id, case_id=None, event_type="case.opened",
                          msg_id=f"msg_{state}_{i}_{attempts}", body="{}", state=state, attempts=attempts,
                          next_attempt_at=clock.now(), created_at=clock.now(),
                          last_error="connection refused" if state != "delivered" else None,
                          dead_at=clock.now() if state == "dead" else None)
        db.session.add(row)
        db.session.flush()
        ids.append(row.id)
    db.session.commit()
    return ids


def test_events_page_filters_pages_and_redelivers_a_dead_delivery(browser, users, clock_at):
    clock_at(2026, 3, 1, 9)
    sub = _sub()
    _outbox(sub, 3, "delivered")
    retrying = _outbox(sub, 1, "pending", attempts=2)
    dead = _outbox(sub, 55, "dead", attempts=8)
    b = browser("admin")
    html = b.get("/admin/events?retning=ut").get_data(as_text=True)
    _labels_are_bound(html)
    assert "Ga opp – ikke levert (55)" in html and "Prøver igjen (1)" in html and ">Levert</option>" in html
    assert html.count("data-event=") == 50 and 'id="next-page"' in html          # one page of 50, newest first
    assert not ENGINE_WORDS.search(html) and "Sak opprettet" in html and "norsk tid" in html
    older = b.get(f"/admin/events?retning=ut&før={dead[5]}").get_data(as_text=True)   # keyset: below the id
    assert f'data-event="{dead[4]}"' in older and f'data-event="{dead[5]}"' not in older
    only = b.get("/admin/events?retning=ut&tilstand=retrying").get_data(as_text=True)
    assert re.findall(r'data-event="(\d+)"', only) == [str(retrying[0])] and "Send på nytt" not in only
    # «Send på nytt» on a dead one: back in the queue, audited
    r = b.post(f"/admin/events/ut/{dead[-1]}/send-igjen", {"tilstand": "dead",
                                                           "tilbake": "/admin/events?retning=ut&tilstand=dead"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/events?retning=ut&tilstand=dead")
    db.session.expire_all()
    row = db.session.get(OutboxEvent, dead[-1])
    assert row.state == "pending" and row.attempts == 0
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "webhook.redelivered"))
    assert audit.data["outbox_event_id"] == dead[-1] and audit.actor_id is not None
    # again: it is already waiting — refused, 409, shown as an error
    r = b.post(f"/admin/events/ut/{dead[-1]}/send-igjen", {"tilstand": "dead"})
    assert r.status_code == 409 and 'role="alert"' in r.get_data(as_text=True)
    assert "venter allerede" in r.get_data(as_text=True)
    # a foreign «tilbake» is not followed
    r = b.post(f"/admin/events/ut/{dead[0]}/send-igjen", {"tilbake": "https://evil.example/"})
    assert r.status_code == 302 and "evil" not in r.headers["Location"]


def test_a_failed_inbound_event_is_tried_again_and_reaches_its_case(browser, api, venter, wh, clock_at):
    from engine import clock
    from engine.events import subscriptions
    clock_at(2026, 3, 1, 9)
    source, _ = subscriptions.add_source("boligkontoret", None, ["bolig_tilbudt"])
    case = wh_complete(api, wh_open_case(api), "soknad")          # waits for «bolig_tilbudt» now
    ended = wh_complete(api, api("kari.gamleoslo").get(
        f"/api/v1/cases/{wh_open_case(api)['id']}").json, "soknad")
    event = InboundEvent(source_id=source.id, webhook_id="evt_1", message_name="bolig_tilbudt", case_id=case["id"],
                         payload={"dato": "2026-04-01"}, state="failed", attempts=1,
                         last_error="Tidsavbrudd hos mottakeren", received_at=clock.now())
    unmatched = InboundEvent(source_id=source.id, webhook_id="evt_2", message_name="bolig_tilbudt", case_id=None,
                             payload={"dato": "2026-04-01"}, state="unmatched", attempts=0,
                             last_error="Ingen sak med denne eksterne referansen.", received_at=clock.now())
    db.session.add_all([event, unmatched])
    db.session.commit()
    b = browser("admin")
    html = b.get("/admin/events").get_data(as_text=True)
    assert "Feilet" in html and "Fant ingen sak" in html and not ENGINE_WORDS.search(html)
    assert html.count("Prøv igjen<span") == 1                     # only the failed event with a case
    r = b.post(f"/admin/events/inn/{event.id}/prov-igjen", {"tilstand": ""})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(InboundEvent, event.id).state == "delivered"
    after = api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json
    assert [t["element_id"] for t in after["tasks"]] == ["flytt"]
    assert db.session.scalar(sa.select(AuditEvent.data).where(AuditEvent.type == "inbound.retried"))["case_id"] == case["id"]
    assert "Levert til saken" in b.get("/admin/events?tilstand=delivered").get_data(as_text=True)
    # not failed any more: refused with 409 as an error
    r = b.post(f"/admin/events/inn/{event.id}/prov-igjen", {})
    assert r.status_code == 409 and 'role="alert"' in r.get_data(as_text=True)
    assert ended["status"] in ("running", "completed")


def test_users_and_webhooks_pages(browser, users, clock_at):
    clock_at(2026, 3, 1, 9)
    _sub()
    b = browser("admin")
    html = b.get("/admin/users").get_data(as_text=True)
    _labels_are_bound(html)
    assert "Saksbehandler" in html and "Administrator" in html
    kari = users["kari.gamleoslo"]
    r = b.post(f"/admin/users/{kari.id}/revoke", {"reason": "  ", "deactivate": "1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and f'href="#revoke-{kari.id}-reason"' in html and "checked" in html
    r = b.post(f"/admin/users/{kari.id}/revoke", {"reason": "sluttet", "deactivate": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    assert not db.session.get(type(kari), kari.id).active
    html = b.get("/admin/webhooks").get_data(as_text=True)
    assert "Boligkontorets saksarkiv" in html and "Sak opprettet" in html and 'secret' not in html.lower()
    for url in ("/admin/users", "/admin/webhooks", "/admin/events"):
        assert browser("prosesseier").get(url).status_code == 403
    nav = b.get("/admin/stuck").get_data(as_text=True)
    assert 'href="/admin/events"' in nav and 'href="/admin/users"' in nav and 'href="/admin/webhooks"' in nav


def test_a_broken_timer_is_explained_and_its_engine_text_folded(browser, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = to_plan(api, innflytting=None)                    # no T0: the plan deadline cannot be computed
    html = browser("admin").get("/admin/stuck?reason=broken_timer").get_data(as_text=True)
    card = html[html.index(f'id="stuck-{case["id"]}"'):]
    card = card[:card.index("</article>")]
    plain, tech = card.split('<details class="tech">', 1)
    assert "Brutt tidtaker" in plain and "En frist kunne ikke regnes ut" in plain
    broken = db.session.scalar(sa.select(Timer.broken_reason).where(Timer.case_id == case["id"]))
    assert broken and broken[:15] in tech and broken[:15] not in plain
