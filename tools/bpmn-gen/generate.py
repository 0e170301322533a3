"""Generate processes/*.bpmn for «Fra institusjon til bolig» (semantics + diagram interchange).

    .venv/bin/python tools/bpmn-gen/generate.py          # writes processes/*.bpmn

Six processes, each with its own pool and the three lanes beboer / bydel / institusjon:

* ``institusjon_til_bolig`` (main, ``p_hoved``): henvisning → the stay → the transition phase.
* ``opphold_pa_institusjon`` (``p_opphold``): registration → T0 → start phase → … → T1.
* ``fristvakt_innflytting`` (``p_fristvakt``): every deadline counted from T0, armed at registration.
* ``boligavklaring``, ``samarbeidsmoter``, ``evaluering`` (``p_moter``): statusrapport → søknader,
  the recurring meetings, the evaluation every three months.
* ``livskvalitet_aar`` (``p_livskvalitet``): the yearly MANSA survey of one bydel and its report.

Deadlines are either a non-interrupting timer boundary on the task (anchor known when the task
opens) or a watch in the Fristvakt (anchor known before); both carry a ``frist`` key, and a missed
one gives the leader of the responsible organisation a follow-up task.  ``common.py`` has both.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from p_fristvakt import fristvakt  # noqa: E402
from p_hoved import hoved  # noqa: E402
from p_livskvalitet import livskvalitet_aar  # noqa: E402
from p_moter import boligavklaring, evaluering, samarbeidsmoter  # noqa: E402
from p_opphold import opphold  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "processes"

FILES = {
    "institusjon-til-bolig.bpmn": hoved,
    "opphold-pa-institusjon.bpmn": opphold,
    "fristvakt-innflytting.bpmn": fristvakt,
    "boligavklaring.bpmn": boligavklaring,
    "samarbeidsmoter.bpmn": samarbeidsmoter,
    "evaluering.bpmn": evaluering,
    "livskvalitet-aar.bpmn": livskvalitet_aar,
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, build in FILES.items():
        (OUT / name).write_text(build().to_xml(), encoding="utf-8")
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
