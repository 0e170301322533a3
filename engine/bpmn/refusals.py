"""Refusals a process owner can act on: Norwegian, naming the file, the line and the element.

SpiffWorkflow's parser speaks English and is vague about *where*: «Data Store with name Data» (the
name cut at a newline, no element), «The process 'X' was not found» (which call activity?), a
Python object address, «tasks of type.» with the type missing.  libxml2's schema errors carry a
line but no element.  :func:`translate` turns each known engine message into a Norwegian sentence
and finds the element it is about; :func:`name_problems` gives every refusal the element's line,
id and name.  An engine message not known here is never shown raw: the refusal says the element
could not be read and the English text goes to the log only.  Pure: lxml only.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

from lxml import etree

from engine.errors import Problem

log = logging.getLogger(__name__)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

#: What a BPMN element is called in Norwegian (the local name of its tag).
KINDS = {
    "userTask": "brukeroppgaven", "manualTask": "den manuelle oppgaven", "task": "oppgaven",
    "scriptTask": "skriptoppgaven", "serviceTask": "tjenesteoppgaven", "sendTask": "sendeoppgaven",
    "receiveTask": "mottaksoppgaven", "businessRuleTask": "regeloppgaven", "callActivity": "kallaktiviteten",
    "subProcess": "delprosessen", "adHocSubProcess": "ad hoc-delprosessen", "transaction": "transaksjonen",
    "startEvent": "starthendelsen", "endEvent": "sluthendelsen", "boundaryEvent": "grensehendelsen",
    "intermediateCatchEvent": "mellomhendelsen", "intermediateThrowEvent": "mellomhendelsen",
    "exclusiveGateway": "den eksklusive gatewayen", "parallelGateway": "den parallelle gatewayen",
    "inclusiveGateway": "den inkluderende gatewayen", "eventBasedGateway": "den hendelsesbaserte gatewayen",
    "complexGateway": "den komplekse gatewayen", "sequenceFlow": "flyten", "lane": "banen",
    "laneSet": "banesettet", "process": "prosessen", "participant": "deltakeren", "dataStore": "datalageret",
    "dataStoreReference": "datalagerreferansen", "dataObject": "dataobjektet",
    "dataObjectReference": "dataobjektreferansen", "message": "meldingen", "signal": "signalet",
    "error": "feilen", "escalation": "eskaleringen", "correlationProperty": "korrelasjonsegenskapen",
    "timerEventDefinition": "tidsdefinisjonen", "textAnnotation": "merknaden", "group": "gruppen",
    "collaboration": "samarbeidet", "definitions": "diagrammet",
}


def local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def kind_of(tag: object) -> str:
    """«brukeroppgaven», «kallaktiviteten» … for a tag (``bpmn:userTask`` or ``{ns}userTask``)."""
    name = local(tag) if isinstance(tag, str) and tag.startswith("{") else str(tag or "").split(":")[-1]
    return KINDS.get(name, f"elementet {name}" if name else "elementet")


def describe(element: etree._Element) -> str:
    """«brukeroppgaven «Registrer innflytting» (registrer)» — how a refusal names an element."""
    name = " ".join((element.get("name") or "").split())
    ident = element.get("id")
    text = kind_of(element.tag)
    if name:
        text += f" «{name}»"
    if ident:
        text += f" ({ident})"
    return text


def find(root: etree._Element | None, element_id: str | None) -> etree._Element | None:
    if root is None or not element_id:
        return None
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def at_line(root: etree._Element, line: int | None) -> etree._Element | None:
    """The innermost element starting on ``line`` (libxml2 reports a line, not an element)."""
    if not line:
        return None
    hit = None
    for el in root.iter():
        if isinstance(el.tag, str) and el.sourceline == line:
            hit = el if hit is None or el.get("id") or not hit.get("id") else hit
    return hit


def sentence(element: etree._Element | None, predicate: str, element_id: str | None = None) -> str:
    """«Kallaktiviteten «Boligavklaring» (kall_bolig) kaller …» — the element is the subject."""
    subject = describe(element) if element is not None else f"elementet «{element_id}»" if element_id else "diagrammet"
    return f"{subject[0].upper()}{subject[1:]} {predicate}"


def _problem(file: str, root: etree._Element | None, element: etree._Element | None, predicate: str,
             element_id: str | None = None) -> Problem:
    if element is None:
        element = find(root, element_id)
    return Problem(file, sentence(element, predicate, element_id), element.sourceline if element is not None else None,
                   (element.get("id") if element is not None else None) or element_id)


def _xpath_all(roots: dict[str, etree._Element], xpath: str, **values: str) -> list[tuple[str, etree._Element]]:
    out = []
    for file, root in roots.items():
        out += [(file, el) for el in root.xpath(xpath, namespaces={"bpmn": BPMN_NS}, **values)]
    return out


# -- SpiffWorkflow's parser messages ---------------------------------------------------------------
# Each: a pattern on the English message, and the Norwegian text (the element is named in front of
# it by name_problems).  ``{0}``… are the pattern's groups.
_ON_NODE: list[tuple[str, str]] = [
    (r"Multiple outgoing flows are not supported for tasks of type",
     "har flere utgående flyter, og det kan ikke denne elementtypen ha; del flyten med en gateway etter elementet"),
    (r"When looking for a task spec, we found two items.*\((.*)\)",
     "har en flyt til «{0}», som ikke finnes i prosessen; koble flyten til et element som finnes"),
    (r"There is no support implemented for this task type",
     "er en elementtype prosessmotoren ikke kan kjøre; bruk en annen type oppgave"),
    (r"Process (.*) is not executable", "er ikke kjørbar (isExecutable=\"false\"); kryss av for «Executable»"),
    (r"No start event found", "har ingen starthendelse"),
    (r"Non-default exclusive outgoing sequence flow without condition",
     "går ut av en gateway uten betingelse og er ikke standardflyten; gi den en betingelse eller gjør den til standard"),
    (r"Exactly one start event is required in a SubWorkflow Task; found (\d+)",
     "må ha nøyaktig én starthendelse, men har {0}"),
    (r"A SubWorkflow Must contain an End event", "mangler sluthendelse"),
    (r'No "calledElement" attribute', "sier ikke hvilken prosess den kaller (calledElement)"),
    (r"Invalid Script Task", "har ikke noe skript"),
    (r"(Time Specification Error\. )?Unknown Time Specification", "mangler tidspunkt, varighet eller syklus"),
    (r"Time Specification Error", "har et tidsuttrykk som ikke kan leses"),
    (r"Conditional event definition with missing condition", "mangler betingelse"),
    (r"Cannot resolve dataInputAssociation",
     "leser fra et dataobjekt eller datalager som ikke finnes i prosessen"),
    (r"Cannot resolve dataOutputAssociation",
     "skriver til et dataobjekt eller datalager som ikke finnes i prosessen"),
    (r"Duplicate process ID: (.*)", "har samme id som en prosess i en annen fil («{0}»); gi den en egen id"),
    (r"A Service Task must have an operator", "mangler operatør (serviceTaskOperator)"),
    (r'No DMN Diagram available with id "([^"]*)"',
     "kaller beslutningen «{0}», som ikke finnes i utrullingen; last opp DMN-filen sammen med diagrammet"),
    (r"Sequential ordering for ad hoc subprocesses not supported", "kan ikke ha sekvensiell rekkefølge"),
    (r"Ad hoc subprocesses may not contain start or end events", "kan ikke ha start- eller sluthendelser"),
    (r"No decisions found", "har ingen beslutninger"),
    (r"Multiple decision tables are not current supported", "har flere beslutningstabeller; bare én støttes"),
]


def translate(exc: BaseException, file: str, roots: dict[str, etree._Element]) -> list[Problem]:
    """Norwegian refusals for a SpiffWorkflow parser exception, each naming its element."""
    text = str(exc)
    file = getattr(exc, "file_name", "") or file
    root = roots.get(file)
    element = find(root, getattr(exc, "id", "") or None)
    m = re.match(r"Data Store with name (.*) has no implementation", text, re.S)
    if m:
        stores = _xpath_all(roots, "//bpmn:dataStore[@name=$n]", n=m.group(1))
        shown = " ".join(m.group(1).split())
        return [_problem(f, r, el, f"har navnet «{shown}», og tjenesten har ikke noe datalager med det navnet; "
                                   "bruk et dataobjekt i stedet") for f, r, el in _with_roots(stores, roots)] \
            or [Problem(file, f"Datalageret «{shown}» finnes ikke i tjenesten")]
    m = re.match(r"The process '(.*?)' was not found", text, re.S)
    if m:
        calls = _xpath_all(roots, "//bpmn:callActivity[@calledElement=$p]", p=m.group(1))
        msg = (f"kaller prosessen «{m.group(1)}», som ikke finnes i utrullingen; last opp diagrammet med den "
               "prosessen sammen med dette (eller rett calledElement)")
        return [_problem(f, r, el, msg) for f, r, el in _with_roots(calls, roots)] \
            or [Problem(file, f"Prosessen «{m.group(1)}» finnes ikke i utrullingen")]
    m = re.match(r"(Data Store|Message|Signal|Error|Escalation|Correlation) (identifier|name) is missing", text)
    if m:
        tag = {"Data Store": "dataStore", "Correlation": "correlationProperty"}.get(m.group(1), m.group(1).lower())
        attr = "id" if m.group(2) == "identifier" else "name"
        missing = _xpath_all(roots, f"//bpmn:{tag}[not(@{attr})]")
        word = "id" if attr == "id" else "navn"
        return [_problem(f, r, el, f"mangler {word}") for f, r, el in _with_roots(missing, roots)] \
            or [Problem(file, sentence(None, f"mangler {word}").replace("Diagrammet", kind_of(tag).capitalize()))]
    m = re.match(r"Could not find messageRef from message event definition: (.*)", text)
    if m:
        return [_problem(file, root, None, "sier ikke hvilken melding den venter på (messageRef)", m.group(1) or None)]
    for pattern, norwegian in _ON_NODE:
        m = re.match(pattern, text, re.S)
        if m:
            return [_problem(file, root, element, norwegian.format(*(g.strip() for g in m.groups())),
                             getattr(exc, "id", "") or None)]
    log.warning("untranslated parser refusal in %s: %s", file, text)
    return [_problem(file, root, element, "kan ikke leses av prosessmotoren; sjekk at referansene i elementet "
                                          "(flyter, meldinger, data) peker på elementer som finnes",
                     getattr(exc, "id", "") or None)]


def _with_roots(found: list[tuple[str, etree._Element]], roots: dict[str, etree._Element]
                ) -> Iterable[tuple[str, etree._Element, etree._Element]]:
    for file, el in found:
        yield file, roots[file], el


# -- libxml2's messages ----------------------------------------------------------------------------
_XSD: list[tuple[str, str]] = [
    (r"Element '([^']*)': This element is not expected\.", "er ikke tillatt her i BPMN 2.0 (elementtypen {0})"),
    (r"Element '([^']*)': The attribute '([^']*)' is required but missing\.", "mangler attributtet «{1}»"),
    (r"Element '([^']*)', attribute '([^']*)': The attribute '([^']*)' is not allowed\.",
     "har attributtet «{1}», som ikke er tillatt her"),
    (r"Element '([^']*)', attribute '([^']*)': '([^']*)' is not a valid value of the atomic type 'xs:ID'\.",
     "har id «{2}», som ikke er en gyldig id (den må begynne med en bokstav og være unik)"),
    (r"Element '([^']*)', attribute '([^']*)': '([^']*)' is not a valid value of the atomic type '([^']*)'\.",
     "har verdien «{2}» i «{1}», som ikke er gyldig"),
    (r"Element '([^']*)': Missing child element\(s\)\.", "mangler et påkrevd underelement"),
    (r"Element '([^']*)': Character content other than whitespace is not allowed",
     "har tekst der det ikke er tillatt"),
    (r"Element '([^']*)': .*[Dd]uplicate", "har en id som finnes flere ganger i filen"),
    (r"Element '([^']*)': No match found for key-sequence \['([^']*)'\]",
     "viser til «{1}», som ikke finnes i filen"),
]


def xsd_problem(file: str, root: etree._Element, message: str, line: int | None) -> Problem:
    """A schema error from libxml2, in Norwegian, with the element on that line."""
    element = at_line(root, line)
    for pattern, norwegian in _XSD:
        m = re.match(pattern, message.strip(), re.S)
        if m:
            groups = [etree.QName(g).localname if g.startswith("{") else g for g in m.groups()]
            return Problem(file, f"BPMN-skjemafeil: {sentence(element, norwegian.format(*groups))}", line,
                           element.get("id") if element is not None else None)
    log.warning("untranslated schema error in %s:%s: %s", file, line, message)
    return Problem(file, "BPMN-skjemafeil: " + sentence(element, "følger ikke BPMN 2.0-skjemaet (sjekk navn, "
                                                         "rekkefølge og påkrevde attributter)"),
                   line, element.get("id") if element is not None else None)


# -- XML that does not parse ----------------------------------------------------------------------
_SYNTAX: list[tuple[str, str]] = [
    (r"Opening and ending tag mismatch: ([^\s,]+) line (\d+) and ([^\s,]+)",
     "starttaggen <{0}> på linje {1} lukkes av </{2}>; sjekk at hvert element lukkes i riktig rekkefølge"),
    (r"Premature end of data in tag (\S+) line (\d+)", "filen slutter før <{0}> fra linje {1} er lukket"),
    (r"Couldn't find end of Start Tag (\S+)", "starttaggen <{0}> er ikke avsluttet med >"),
    (r"Entity '([^']*)' not defined", "entiteten &{0}; er ikke tillatt (skriv & som &amp;)"),
    (r"xmlParseEntityRef: no name|EntityRef: expecting ';'", "et &-tegn må skrives &amp;"),
    (r"AttValue: \" or ' expected|attributes construct error", "et attributt mangler anførselstegn"),
    (r"Attribute (\S+) redefined", "attributtet {0} står to ganger i samme element"),
    (r"Extra content at the end of the document", "det står noe etter rotelementet"),
    (r"Start tag expected, '<' not found|Document is empty", "filen er ikke XML"),
    (r"Namespace prefix (\S+) .*is not defined", "prefikset {0}: er ikke deklarert (xmlns:{0})"),
]
_ID_ON_LINE = re.compile(r'\bid="([^"]+)"')


def syntax_problem(file: str, data: bytes, message: str, line: int | None) -> Problem:
    """XML that does not parse, in Norwegian; the element is the one whose start tag is on that line
    (or on the line the message names), read from the raw text since there is no tree."""
    text = next((norwegian.format(*m.groups()) for pattern, norwegian in _SYNTAX
                 if (m := re.search(pattern, message or ""))), None)
    if text is None:
        log.warning("untranslated XML error in %s:%s: %s", file, line, message)
        text = "filen er ikke gyldig XML"
    rows = data.decode("utf-8", "replace").splitlines()
    named = re.search(r" line (\d+)", message or "")
    element_id = None
    for candidate in (int(named.group(1)) if named else None, line):
        if candidate and 0 < candidate <= len(rows) and (found := _ID_ON_LINE.search(rows[candidate - 1])):
            element_id, line = found.group(1), candidate     # the line of the element to open
            break
    return Problem(file, f"ugyldig XML: {text}", line, element_id,
                   element=f"elementet «{element_id}»" if element_id else None)


# -- naming ----------------------------------------------------------------------------------------

def name_problems(problems: Iterable[Problem], roots: dict[str, etree._Element],
                  line_of: Callable[[str, str | None], int | None] | None = None) -> list[Problem]:
    """Every refusal with its element's line and a Norwegian name in front of its message.

    ``roots`` maps each uploaded file to its parsed tree; a problem about an element of another
    file (a called process) is looked up there.
    """
    out: list[Problem] = []
    for p in problems:
        element = find(roots.get(p.file), p.element_id)
        if element is None and p.line and p.file in roots:
            element = at_line(roots[p.file], p.line)
        if element is None:
            out.append(p)
            continue
        out.append(Problem(p.file, p.message, p.line or element.sourceline, p.element_id or element.get("id"),
                           " ".join((element.get("name") or "").split()) or None, describe(element)))
    return out
