"""What changed between two versions of a diagram, element by element (#18 item 3).

A process owner deciding whether to move running cases wants to know which steps came, went or
changed — not a text diff of XML.  Elements are matched by id (the id is what a running case's
state refers to, see ``engine.ops.migration``); for each we compare what a reader of the diagram
sees and what the engine runs: type, name, our ``spiffworkflow`` properties, the flow's ends and
condition, the timer and script text, the lane it sits in.  Layout (DI) is not a change.
Pure: lxml only, with the hardened parser of the catalog.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.bpmn.catalog import BPMN_NS, SPIFF_NS, hardened_parser

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
_B = f"{{{BPMN_NS}}}"
#: Containers whose own attributes are not elements of the picture (their children are).
_SKIP = {"definitions", "extensionElements", "documentation", "incoming", "outgoing", "flowNodeRef",
         "conditionExpression", "timeDate", "timeDuration", "timeCycle", "script", "laneSet", "text"}
#: Aspect key → Norwegian word shown in the list.
ASPECTS = {"type": "type", "name": "navn", "properties": "egenskaper", "flow": "flyt", "condition": "betingelse",
           "timer": "tidsuttrykk", "script": "skript", "lane": "bane", "documentation": "beskrivelse",
           "definition": "hendelsestype"}


@dataclass
class ElementChange:
    element_id: str
    kind: str
    type: str
    name: str
    aspects: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"element_id": self.element_id, "kind": self.kind, "type": self.type, "name": self.name,
                "aspects": self.aspects, "details": self.details}


def _text(el: etree._Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _props(el: etree._Element) -> dict[str, str]:
    ext = el.find(f"{_B}extensionElements")
    if ext is None:
        return {}
    return {p.get("name", ""): p.get("value", "") for p in ext.iterfind(f".//{{{SPIFF_NS}}}property")}


def _lanes(root: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for lane in root.iter(f"{_B}lane"):
        for ref in lane.iterfind(f"{_B}flowNodeRef"):
            out[_text(ref)] = lane.get("name") or lane.get("id", "")
    return out


def elements(xml: bytes | str) -> dict[str, dict[str, object]]:
    """Element id → its comparable aspects, for every id-bearing BPMN element outside the DI."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = etree.fromstring(data, hardened_parser())
    lanes = _lanes(root)
    out: dict[str, dict[str, object]] = {}
    for el in root.iter(f"{_B}*"):
        tag = etree.QName(el).localname
        eid = el.get("id")
        if not eid or tag in _SKIP or tag.endswith("EventDefinition"):
            continue
        aspects: dict[str, object] = {"type": tag, "name": " ".join((el.get("name") or "").split()),
                                      "properties": _props(el), "documentation": _text(el.find(f"{_B}documentation")),
                                      "lane": lanes.get(eid, "")}
        if tag == "sequenceFlow":
            aspects["flow"] = f"{el.get('sourceRef', '')} → {el.get('targetRef', '')}"
            aspects["condition"] = _text(el.find(f"{_B}conditionExpression"))
        definitions = [etree.QName(d).localname for d in el if etree.QName(d).localname.endswith("EventDefinition")]
        aspects["definition"] = ", ".join(definitions)
        aspects["timer"] = " ".join(_text(t) for d in el if etree.QName(d).localname == "timerEventDefinition"
                                    for t in d.iter(f"{_B}timeDate", f"{_B}timeDuration", f"{_B}timeCycle"))
        aspects["script"] = _text(el.find(f"{_B}script"))
        out[eid] = aspects
    return out


def diff(old_xml: bytes | str, new_xml: bytes | str) -> list[ElementChange]:
    """Added, removed and changed elements from ``old`` to ``new``, in a stable order (kind, id)."""
    old, new = elements(old_xml), elements(new_xml)
    out: list[ElementChange] = []
    for eid in sorted(new.keys() - old.keys()):
        out.append(ElementChange(eid, ADDED, str(new[eid]["type"]), str(new[eid]["name"])))
    for eid in sorted(old.keys() - new.keys()):
        out.append(ElementChange(eid, REMOVED, str(old[eid]["type"]), str(old[eid]["name"])))
    for eid in sorted(old.keys() & new.keys()):
        a, b = old[eid], new[eid]
        changed = [k for k in ASPECTS if a.get(k, "") != b.get(k, "")]
        if changed:
            details = [_detail(k, a.get(k, ""), b.get(k, "")) for k in changed]
            out.append(ElementChange(eid, CHANGED, str(b["type"]), str(b["name"] or a["name"]), changed, details))
    return out


def _detail(aspect: str, before: object, after: object) -> str:
    word = ASPECTS[aspect]
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after))
        parts = [f"{k}: «{before.get(k, '')}» → «{after.get(k, '')}»" for k in keys if before.get(k) != after.get(k)]
        return f"{word}: " + "; ".join(parts)
    return f"{word}: «{_cut(before)}» → «{_cut(after)}»"


def _cut(value: object, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
