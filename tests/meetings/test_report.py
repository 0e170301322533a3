"""«Plikter å delta» in the compliance report: per bydel and institution, the obliged meetings held and
those the obliged party missed — exact for a leader, suppressed below five for the city view — and the
same table in the CSV export."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from engine.reports import compliance, export
from engine.reports.meeting_duty import OBLIGED
from tests.meetings.helpers import actor
from tests.reports import history

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
BYDELER = ["gamle-oslo", "grunerlokka", "frogner", "alna", "stovner", "sagene"]
INSTITUTIONS = ["bygdoy", "ila", "sporveisgata"]


@pytest.fixture()
def hist(ctx, users, tre_baner):
    return history.load(200, NOW, seed=17, start=date(2021, 1, 1), bydeler=BYDELER, institutions=INSTITUTIONS)


def _expected(rows, party: str) -> dict[int, tuple[int, int]]:
    col, attended = ("bydel_id", "bydel_attended") if party == "bydel" else ("institution_id", "institution_attended")
    held, missed = Counter(), Counter()
    for r in rows:
        if OBLIGED.get(r["meeting"]) == party:
            held[r[col]] += 1
            missed[r[col]] += r[attended] is False
    return {k: (held[k], missed[k]) for k in held}


def test_a_leader_sees_the_exact_misses_of_the_obliged_party(hist):
    org = hist.orgs["bygdoy"]
    rep = compliance.build(actor("leder.bygdoy"), compliance.Filters(), now=NOW)
    mine = [r for r in hist.meetings if org in (r["bydel_id"], r["institution_id"])]
    got = {(a.party, a.organisation_id): (a.held, a.missed) for a in rep.duty}
    want = {("bydel", k): v for k, v in _expected(mine, "bydel").items()}
    want |= {("institusjon", k): v for k, v in _expected(mine, "institusjon").items()}
    assert got == want
    assert sum(v[1] for v in want.values()) > 0            # the history has misses to count
    (table,) = [t for t in export.tables(rep, str) if t.key == "plikt"]
    assert table.title == "Part som plikter å delta, men ikke deltok"
    assert len(table.rows) == len(want)
    assert "Part som plikter å delta, men ikke deltok" in export.to_csv(export.tables(rep, str))


def test_the_city_view_suppresses_small_counts(hist):
    rep = compliance.build(actor("prosesseier"), compliance.Filters(), now=NOW)
    want = _expected(hist.meetings, "institusjon")
    rows = [a for a in rep.duty if a.party == "institusjon"]
    assert len(rows) == len(INSTITUTIONS)
    for a in rows:
        held, missed = want[a.organisation_id]
        assert a.held == (None if 0 < held < 5 else held)
        assert a.missed == (None if 0 < missed < 5 else missed)
