"""What leaves the bydel: counts by status and score band, every group under 5 withheld, and no
withheld group recoverable by subtracting the shown ones from a shown total."""
from __future__ import annotations

from engine.survey.results import BANDS, ITEMS, band, publish, raw_figures


def _reg(status: str, score: int | None = None, **mansa: int) -> dict:
    r = {"maling_status": status, "livskvalitet_dato": "2027-02-01"}
    if score is not None:
        r["livet_samlet"] = score
    if mansa:
        r["mansa"] = mansa
    return r


def test_counts_by_status_and_band():
    regs = [_reg("gjennomfort", s, bolig=s) for s in (1, 2, 4, 5, 6, 7, 7)] + [_reg("avslatt"), _reg("ikke_nadd")]
    fig = raw_figures(12, regs)
    assert fig.statuses == {"gjennomfort": 7, "avslatt": 1, "ikke_nadd": 1, "ikke_registrert": 3}
    assert fig.items["livet_samlet"] == {"1-3": 2, "4": 1, "5-7": 4}
    assert fig.items["bolig"] == fig.items["livet_samlet"]
    assert fig.items["arbeid"] == dict.fromkeys(BANDS, 0)
    assert set(fig.items) == set(ITEMS)
    assert [band(s) for s in range(1, 8)] == ["1-3"] * 3 + ["4"] + ["5-7"] * 3


def test_groups_under_five_are_withheld_and_so_is_the_next_smallest_when_one_alone_would_be():
    regs = ([_reg("gjennomfort", 6)] * 9 + [_reg("gjennomfort", 2)] * 6 + [_reg("gjennomfort", 4)] * 3
            + [_reg("avslatt")] * 5 + [_reg("ikke_nadd")] * 2)
    fig = publish(raw_figures(28, regs))
    assert fig.invited == 28
    # ikke_nadd 2 and ikke_registrert 3: two withheld, no subtraction reveals either
    assert fig.statuses == {"gjennomfort": 18, "avslatt": 5, "ikke_nadd": None, "ikke_registrert": None}
    # band 4 (3) alone would be recoverable from «gjennomført 18»: the next smallest (6) is withheld too
    assert fig.items["livet_samlet"] == {"1-3": None, "4": None, "5-7": 9}


def test_a_small_bydel_shows_nothing_but_zeros():
    fig = publish(raw_figures(3, [_reg("gjennomfort", 5), _reg("avslatt")]))
    assert fig.invited is None
    assert fig.statuses == {"gjennomfort": None, "avslatt": None, "ikke_nadd": 0, "ikke_registrert": None}
    assert fig.items["livet_samlet"] == {"1-3": 0, "4": 0, "5-7": None}
