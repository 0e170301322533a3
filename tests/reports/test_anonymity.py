"""Small cells are withheld, everything else shown as it is."""
from engine.reports.anonymity import is_small, suppress_counts, suppress_value


def test_counts_below_five_are_withheld_zero_and_five_are_shown():
    assert suppress_counts({"a": 0, "b": 1, "c": 4, "d": 5, "e": 12}) == {
        "a": 0, "b": None, "c": None, "d": 5, "e": 12}


def test_a_figure_of_a_small_group_is_withheld():
    assert suppress_value(3.5, group_size=4) is None
    assert suppress_value(3.5, group_size=5) == 3.5
    assert is_small(1) and not is_small(0) and not is_small(7, minimum=7)
