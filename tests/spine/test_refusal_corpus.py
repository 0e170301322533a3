"""Every refusal names its file, line and element, in Norwegian (#18): one broken diagram per case in
tests/fixtures/refusals/, each saying which element the refusal must name."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.bpmn.catalog import load_files
from engine.errors import DeploymentInvalid

CORPUS = sorted((Path(__file__).parents[1] / "fixtures" / "refusals").glob("*.bpmn"))
#: Words of SpiffWorkflow's and libxml2's English that must never reach a process owner.
ENGLISH = re.compile(r"\b(the|of|with|was|is|not|found|missing|cannot|has|no|support|expected|identifier|"
                     r"allowed|required|Did you mean|tasks of type|Data Store|object at)\b|0x[0-9a-f]{6,}")


def test_the_corpus_covers_the_cases_of_the_issue():
    names = {p.stem for p in CORPUS}
    assert {"datalager_linjeskift", "kaller_ukjent_prosess", "dataassosiasjon_uten_kilde",
            "flere_ut_fra_slutt", "oppgave_utenfor_baner"} <= names and len(names) >= 15


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_refusal_names_file_line_and_element_in_norwegian(path: Path):
    text = path.read_text(encoding="utf-8")
    expected = re.search(r"forventet element: (\S+)", text).group(1)
    with pytest.raises(DeploymentInvalid) as refused:
        load_files({path.name: text.encode()})
    problems = refused.value.problems
    mine = [p for p in problems if p.element_id == expected]
    assert mine, [str(p) for p in problems]
    start = text.index(f'id="{expected}"')
    first = text.count("\n", 0, start) + 1
    last = first + text.count("\n", start, text.index(">", start))   # libxml2 may count a tag's last line
    for p in mine:
        assert p.file == path.name and first <= p.line <= last
        assert p.element and expected in p.element          # «brukeroppgaven «Navn» (id)»
        assert expected in str(p) and path.name in str(p)
    for p in problems:
        assert not ENGLISH.search(p.message), p.message
