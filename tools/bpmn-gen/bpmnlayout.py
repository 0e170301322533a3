"""A tiny BPMN writer with a grid layout, so the committed diagrams get complete, tidy DI.

Each process is described as nodes on a grid (lane, column, row within the lane) and flows between
them; :class:`Diagram` writes the semantic XML (SpiffWorkflow flavour) *and* the diagram interchange:
a shape for the participant, every lane and every flow node, an edge with orthogonal waypoints for
every sequence flow, boundary events on their host's bottom border. The generated ``.bpmn`` files in
``processes/`` are the artifact; this module only exists to regenerate them consistently.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
LANES = ("beboer", "bydel", "institusjon")
LANE_TITLES = {"beboer": "beboer", "bydel": "bydel", "institusjon": "institusjon"}

# geometry
POOL_X, POOL_Y = 150, 80
POOL_LABEL = 30          # the pool's vertical name band
COL0 = POOL_X + POOL_LABEL + 110   # x of column 0's centre
COL_W = 170
ROW_H = 120
LANE_PAD = 0

#: Engine mechanics (script tasks, signals) are drawn grey so the business picture stands out.
MECHANICS_COLOR = ' color:background-color="#ececec" color:border-color="#8c8c8c"'
MECHANICS_NOTE = ("Grå elementer er motorsteg: skript og signaler som prosessen utfører selv. "
                  "De er ingen oppgave for noen, men viser hvordan frister og møteansvar henger sammen.")

#: The name of the frame around engine mechanics that sit together (a bpmn:group's category value).
MECHANICS_GROUP = "Motor (ikke en del av rutinen)"

SIZES = {
    "task": (130, 80), "event": (36, 36), "gateway": (50, 50),   # 130: «informasjonsdeling» on one line
}
KIND_SHAPE = {
    "startEvent": "event", "endEvent": "event", "intermediateCatchEvent": "event",
    "intermediateThrowEvent": "event", "boundaryEvent": "event",
    "userTask": "task", "scriptTask": "task", "callActivity": "task", "manualTask": "task",
    "exclusiveGateway": "gateway", "parallelGateway": "gateway", "eventBasedGateway": "gateway",
}


@dataclass
class Node:
    id: str
    kind: str
    name: str
    lane: str | None
    col: float = 0
    row: float = 0
    doc: str | None = None
    props: dict = field(default_factory=dict)      # spiffworkflow:property name -> value
    pre: str | None = None
    post: str | None = None
    script: str | None = None
    called: str | None = None
    # ('timer', expr) | ('message', ref, var) | ('signal', ref) | ('error', ref) | ('terminate',)
    event: tuple | None = None
    attached: str | None = None                    # boundary: host id
    # parallel multi-instance: (input collection, input item[, output collection, output item])
    multi: tuple | None = None
    cancel: bool = True                            # boundary: interrupting?
    at: float = 0.5                                # boundary: position along the host's bottom (0..1)
    label: str = "right"                           # boundary: label right, left or below; other events: "below-right"
    default: str | None = None                     # gateway default flow id
    incoming: list = field(default_factory=list)
    outgoing: list = field(default_factory=list)
    # geometry (filled by layout)
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0

    @property
    def cx(self):
        return self.x + self.w / 2

    @property
    def cy(self):
        return self.y + self.h / 2


@dataclass
class Note:
    """A text annotation (the rule a step follows), placed on the grid and tied to one element."""

    id: str
    target: str
    text: str
    lane: str
    col: float
    row: float
    w: float = 300
    x: float = 0
    y: float = 0
    h: float = 0


def _lines(text: str, width: float) -> int:
    """Lines bpmn-js needs for an annotation (about 6.3 px per character at 12 px Arial)."""
    per_line = max(int((width - 10) / 6.3), 10)
    lines, current = 1, 0
    for word in text.split():
        if current and current + 1 + len(word) > per_line:
            lines, current = lines + 1, len(word)
        else:
            current += (1 if current else 0) + len(word)
    return lines


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str | None = None
    cond: str | None = None
    via: list | None = None          # explicit waypoints (full list) or None for automatic routing
    exit: str | None = None          # 'top' | 'bottom' | 'right' for the source point
    entry: str | None = None         # 'top' | 'bottom' | 'left' for the target point


class Diagram:
    def __init__(self, *, process_id, process_name, collaboration_id, participant_id, participant_name,
                 lane_rows, prefix, messages=(), signals=(), errors=(), doc=None, lanes=LANES, data=()):
        self.data = list(data)             # (id, name): process data a multi-instance task loops over
        self.lanes = tuple(lanes)          # a diagram with one party (the yearly survey) has one lane
        self.process_id = process_id
        self.process_name = process_name
        self.collaboration_id = collaboration_id
        self.participant_id = participant_id
        self.participant_name = participant_name
        self.lane_rows = dict(lane_rows)
        self.prefix = prefix
        self.messages = list(messages)     # (id, name)
        self.signals = list(signals)       # (id, name, payloadExpression, variableName)
        self.errors = list(errors)         # (id, name, errorCode, payloadExpression, variableName)
        self.doc = doc
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.notes: list[Note] = []
        self.groups: list[tuple[str, list[str]]] = []   # (id, member ids): engine mechanics that sit together

    # -- building ---------------------------------------------------------------------------
    def add(self, id, kind, name, lane, col, row=0, **kw) -> Node:
        if id in self.nodes:
            raise ValueError(f"duplicate id {id}")
        n = Node(id=id, kind=kind, name=name, lane=lane, col=col, row=row, **kw)
        self.nodes[id] = n
        return n

    def flow(self, id, source, target, name=None, cond=None, via=None, exit=None, entry=None, default=False):
        f = Flow(id, source, target, name, cond, via, exit, entry)
        self.flows.append(f)
        self.nodes[source].outgoing.append(id)
        self.nodes[target].incoming.append(id)
        if default:
            self.nodes[source].default = id
        return f

    def annotate(self, id, target, text, lane, col, row=0, width=300):
        """A text annotation quoting the rule, at (col, row) of ``lane`` (its left edge at the column's
        centre), joined to ``target`` by an association drawn to the target's right edge."""
        note = Note(id, target, text, lane, col, row, width)
        self.notes.append(note)
        return note

    def group_mechanics(self, id, members):
        """Frame engine mechanics that sit side by side as one ``bpmn:group`` «Motor (ikke en del av
        rutinen)», so a process owner sees at a glance which part of the picture is nobody's work."""
        self.groups.append((id, list(members)))

    def _group_bounds(self, members):
        boxes = []
        for m in members:
            n = self.nodes[m]
            boxes.append((n.x, n.y, n.w, n.h))
            if KIND_SHAPE[n.kind] in ("event", "gateway"):
                boxes.append(self._label_bounds(n))
        left, top = min(b[0] for b in boxes) - 4, min(b[1] for b in boxes) - 36
        right, bottom = max(b[0] + b[2] for b in boxes) + 4, max(b[1] + b[3] for b in boxes) + 4
        return left, top, right - left, bottom - top

    @staticmethod
    def _note_path(a: Note, t: Node) -> list[tuple[float, float]]:
        """Beside its target: straight to the target's right edge; in another lane (the resident's
        notes): down from the note to the target's top."""
        if a.y <= t.y + 10 <= a.y + a.h or (a.y < t.y + t.h and t.y < a.y + a.h):
            y = min(max(t.y + 10, a.y + 6), a.y + a.h - 6, t.y + t.h - 6)
            if a.x + a.w <= t.x:      # the note left of its target
                return [(a.x + a.w, y), (t.x, y)]
            return [(a.x, y), (t.x + t.w, y)]
        x = min(max(t.cx, a.x + 10), a.x + a.w - 10)
        if not t.x <= x <= t.x + t.w:   # neither beside nor above/below: straight to the nearer corner
            tx = t.x + t.w if a.x >= t.x + t.w else t.x
            ax = a.x if a.x >= t.x + t.w else a.x + a.w
            return [(ax, a.y + a.h / 2), (tx, t.y + t.h - 8 if a.y > t.y else t.y + 8)]
        return [(x, a.y + a.h), (x, t.y)] if a.y + a.h < t.y else [(x, a.y), (x, t.y + t.h)]

    @staticmethod
    def is_mechanics(n: Node) -> bool:
        """Engine mechanics, not anybody's work: scripts and signals (drawn grey, with a legend)."""
        return n.kind == "scriptTask" or (n.event is not None and n.event[0] == "signal")

    # -- layout -----------------------------------------------------------------------------
    def lane_top(self, lane):
        y = POOL_Y
        for ln in self.lanes:
            if ln == lane:
                return y
            y += self.lane_rows[ln] * ROW_H + LANE_PAD
        raise KeyError(lane)

    def row_cy(self, lane, row):
        return self.lane_top(lane) + ROW_H / 2 + row * ROW_H

    def col_cx(self, col):
        return COL0 + col * COL_W

    def layout(self):
        for n in self.nodes.values():
            w, h = SIZES[KIND_SHAPE[n.kind]]
            n.w, n.h = w, h
            if n.kind == "boundaryEvent":
                host = self.nodes[n.attached]
                n.x = host.x + host.w * n.at - w / 2
                n.y = host.y + host.h - h / 2
                continue
            n.x = self.col_cx(n.col) - w / 2
            n.y = self.row_cy(n.lane, n.row) - h / 2
        for note in self.notes:
            note.x = self.col_cx(note.col)
            note.h = 16 + 15 * _lines(note.text, note.w)
            note.y = self.row_cy(note.lane, note.row) - note.h / 2
        # boundary events need their host laid out first
        for n in self.nodes.values():
            if n.kind == "boundaryEvent":
                host = self.nodes[n.attached]
                n.x = host.x + host.w * n.at - n.w / 2
                n.y = host.y + host.h - n.h / 2

    @property
    def width(self):
        right = max([n.x + n.w for n in self.nodes.values()] + [a.x + a.w for a in self.notes])
        return right + 90 - POOL_X

    @property
    def height(self):
        return sum(self.lane_rows[ln] * ROW_H for ln in self.lanes)

    # -- routing ----------------------------------------------------------------------------
    def route(self, f: Flow):
        s, t = self.nodes[f.source], self.nodes[f.target]
        if f.via is not None:
            return f.via
        sgw = KIND_SHAPE[s.kind] == "gateway"
        tgw = KIND_SHAPE[t.kind] == "gateway"
        if s.kind != "boundaryEvent" and abs(s.cx - t.cx) < 1 and t.y > s.y + s.h:   # straight down
            return [(s.cx, s.y + s.h), (t.cx, t.y)]
        if s.kind == "boundaryEvent":
            start = (s.cx, s.y + s.h)
            if t.x < s.cx < t.x + t.w and t.y > s.y:
                return [start, (s.cx, t.y)]
            return [start, (s.cx, t.cy), (t.x, t.cy)]
        same_row = abs(s.cy - t.cy) < 1
        if same_row:
            return [(s.x + s.w, s.cy), (t.x, t.cy)]
        down = t.cy > s.cy
        if sgw and f.exit != "right":
            start = (s.cx, s.y + s.h) if down else (s.cx, s.y)
            return [start, (s.cx, t.cy), (t.x, t.cy)]
        if tgw and f.entry != "left":
            end = (t.cx, t.y) if down else (t.cx, t.y + t.h)
            return [(s.x + s.w, s.cy), (t.cx, s.cy), end]
        midx = (s.x + s.w + t.x) / 2
        return [(s.x + s.w, s.cy), (midx, s.cy), (midx, t.cy), (t.x, t.cy)]

    # -- writing ----------------------------------------------------------------------------
    def _event_xml(self, n: Node, ind):
        ev = n.event
        if ev is None:
            return []
        if ev[0] == "timer":
            return [f'{ind}<bpmn:timerEventDefinition id="{n.id}_def">',
                    f'{ind}  <bpmn:timeDate xsi:type="bpmn:tFormalExpression">{escape(ev[1])}</bpmn:timeDate>',
                    f'{ind}</bpmn:timerEventDefinition>']
        if ev[0] == "message":
            out = [f'{ind}<bpmn:messageEventDefinition id="{n.id}_def" messageRef="{ev[1]}">']
            if len(ev) > 2 and ev[2]:
                out += [f'{ind}  <bpmn:extensionElements>',
                        f'{ind}    <spiffworkflow:messageVariable>{ev[2]}</spiffworkflow:messageVariable>',
                        f'{ind}  </bpmn:extensionElements>']
            out.append(f'{ind}</bpmn:messageEventDefinition>')
            return out
        if ev[0] == "signal":
            return [f'{ind}<bpmn:signalEventDefinition id="{n.id}_def" signalRef="{ev[1]}" />']
        if ev[0] == "error":
            return [f'{ind}<bpmn:errorEventDefinition id="{n.id}_def" errorRef="{ev[1]}" />']
        if ev[0] == "terminate":
            return [f'{ind}<bpmn:terminateEventDefinition id="{n.id}_def" />']
        raise ValueError(ev)

    def _node_xml(self, n: Node):
        ind = "    "
        attrs = [f'id="{n.id}"', f"name={quoteattr(n.name)}"]
        if n.kind == "boundaryEvent":
            if not n.cancel:
                attrs.append('cancelActivity="false"')
            attrs.append(f'attachedToRef="{n.attached}"')
        if n.kind == "callActivity":
            attrs.append(f'calledElement="{n.called}"')
        if n.default:
            attrs.append(f'default="{n.default}"')
        out = [f'{ind}<bpmn:{n.kind} {" ".join(attrs)}>']
        i2 = ind + "  "
        if n.doc:
            out.append(f"{i2}<bpmn:documentation>{escape(n.doc)}</bpmn:documentation>")
        ext = []
        if n.props:
            ext.append(f"{i2}  <spiffworkflow:properties>")
            for k, v in n.props.items():
                ext.append(f'{i2}    <spiffworkflow:property name="{k}" value={quoteattr(v)} />')
            ext.append(f"{i2}  </spiffworkflow:properties>")
        if n.pre:
            ext.append(f"{i2}  <spiffworkflow:preScript>{escape(n.pre)}</spiffworkflow:preScript>")
        if n.post:
            ext.append(f"{i2}  <spiffworkflow:postScript>{escape(n.post)}</spiffworkflow:postScript>")
        if ext:
            out += [f"{i2}<bpmn:extensionElements>", *ext, f"{i2}</bpmn:extensionElements>"]
        for fid in n.incoming:
            out.append(f"{i2}<bpmn:incoming>{fid}</bpmn:incoming>")
        for fid in n.outgoing:
            out.append(f"{i2}<bpmn:outgoing>{fid}</bpmn:outgoing>")
        out += self._event_xml(n, i2)
        if n.multi:
            out += self._multi_xml(n, i2)
        if n.kind == "scriptTask":
            out.append(f"{i2}<bpmn:script>{escape(n.script)}</bpmn:script>")
        out.append(f"{ind}</bpmn:{n.kind}>")
        return out

    @staticmethod
    def _multi_xml(n: Node, ind):
        """Parallel multi-instance: one instance per item of the input collection (BPMN 2.0 data refs)."""
        coll, item, *out = n.multi
        xml = [f'{ind}<bpmn:multiInstanceLoopCharacteristics id="{n.id}_mi">',
               f"{ind}  <bpmn:loopDataInputRef>{coll}</bpmn:loopDataInputRef>"]
        if out:
            xml.append(f"{ind}  <bpmn:loopDataOutputRef>{out[0]}</bpmn:loopDataOutputRef>")
        xml.append(f'{ind}  <bpmn:inputDataItem id="{item}" name="{item}" />')
        if out:
            xml.append(f'{ind}  <bpmn:outputDataItem id="{out[1]}" name="{out[1]}" />')
        xml.append(f"{ind}</bpmn:multiInstanceLoopCharacteristics>")
        return xml

    def _flow_xml(self, f: Flow):
        ind = "    "
        attrs = [f'id="{f.id}"']
        if f.name:
            attrs.append(f"name={quoteattr(f.name)}")
        attrs += [f'sourceRef="{f.source}"', f'targetRef="{f.target}"']
        if f.cond:
            return [f'{ind}<bpmn:sequenceFlow {" ".join(attrs)}>',
                    f'{ind}  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(f.cond)}</bpmn:conditionExpression>',
                    f"{ind}</bpmn:sequenceFlow>"]
        return [f'{ind}<bpmn:sequenceFlow {" ".join(attrs)} />']

    @staticmethod
    def _label_bounds(n: Node):
        if n.kind == "boundaryEvent":     # beside the event, in the gap below the host
            if n.label == "left":
                return (n.x - 112, n.y + n.h - 8, 110, 27)
            if n.label == "below":
                return (n.x + n.w + 2, n.y + n.h + 22, 110, 27)
            return (n.x + n.w + 2, n.y + n.h - 8, 110, 27)
        if n.label == "below-right":          # under the outgoing flow, clear of the event below
            return (n.x + n.w + 6, n.cy + 6, 100, 40)
        if KIND_SHAPE[n.kind] == "gateway":   # above left: flows use the vertices
            return (n.cx - 118, n.y - 30, 106, 27)
        w = 110
        return (n.cx - w / 2, n.y + n.h + 4, w, 40)

    def to_xml(self) -> str:
        self.layout()
        p = self.prefix
        L = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
             'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
             'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
             'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
             'xmlns:color="http://www.omg.org/spec/BPMN/non-normative/color/1.0" '
             f'id="{p}_definitions" targetNamespace="https://tilbolig.oslo.kommune.no/bpmn" '
             'exporter="tilbolig tools/bpmn-gen" exporterVersion="1">',
             f'  <bpmn:collaboration id="{self.collaboration_id}">',
             f'    <bpmn:participant id="{self.participant_id}" name={quoteattr(self.participant_name)} processRef="{self.process_id}" />',
             '  </bpmn:collaboration>']
        for mid, mname in self.messages:
            L.append(f'  <bpmn:message id="{mid}" name="{mname}" />')
        for sid, sname, payload, var in self.signals:
            L += [f'  <bpmn:signal id="{sid}" name="{sname}">',
                  '    <bpmn:extensionElements>',
                  f'      <spiffworkflow:payloadExpression>{escape(payload)}</spiffworkflow:payloadExpression>',
                  f'      <spiffworkflow:variableName>{var}</spiffworkflow:variableName>',
                  '    </bpmn:extensionElements>',
                  '  </bpmn:signal>']
        for eid, ename, code, payload, var in self.errors:
            L += [f'  <bpmn:error id="{eid}" name="{ename}" errorCode="{code}">',
                  '    <bpmn:extensionElements>',
                  f'      <spiffworkflow:payloadExpression>{escape(payload)}</spiffworkflow:payloadExpression>',
                  f'      <spiffworkflow:variableName>{var}</spiffworkflow:variableName>',
                  '    </bpmn:extensionElements>',
                  '  </bpmn:error>']
        L.append(f'  <bpmn:process id="{self.process_id}" name={quoteattr(self.process_name)} isExecutable="true">')
        if self.doc:
            L.append(f"    <bpmn:documentation>{escape(self.doc)}</bpmn:documentation>")
        for did, dname in self.data:   # a bpmn:property, so loopDataInputRef resolves to an element
            L.append(f'    <bpmn:property id="{did}" name={quoteattr(dname)} />')
        L.append(f'    <bpmn:laneSet id="{p}_lanes">')
        for ln in self.lanes:
            refs = [n.id for n in self.nodes.values() if n.lane == ln]
            L.append(f'      <bpmn:lane id="{p}_lane_{ln}" name="{ln}">')
            L += [f"        <bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs]
            L.append("      </bpmn:lane>")
        L.append("    </bpmn:laneSet>")
        for n in self.nodes.values():
            L += self._node_xml(n)
        for f in self.flows:
            L += self._flow_xml(f)
        mechanics = [n for n in self.nodes.values() if self.is_mechanics(n)]
        if mechanics:
            L += [f'    <bpmn:textAnnotation id="{p}_motor">', f"      <bpmn:text>{escape(MECHANICS_NOTE)}</bpmn:text>",
                  "    </bpmn:textAnnotation>"]
        for a in self.notes:
            L += [f'    <bpmn:textAnnotation id="{a.id}">', f"      <bpmn:text>{escape(a.text)}</bpmn:text>",
                  "    </bpmn:textAnnotation>",
                  f'    <bpmn:association id="{a.id}_til" sourceRef="{a.id}" targetRef="{a.target}" />']
        for gid, _ in self.groups:
            L.append(f'    <bpmn:group id="{gid}" categoryValueRef="{p}_motor_verdi" />')
        L.append("  </bpmn:process>")
        if self.groups:   # the group's name is its category value (BPMN 2.0 §10.7.1)
            L += [f'  <bpmn:category id="{p}_motor_kategori">',
                  f'    <bpmn:categoryValue id="{p}_motor_verdi" value={quoteattr(MECHANICS_GROUP)} />',
                  "  </bpmn:category>"]
        # DI
        L += [f'  <bpmndi:BPMNDiagram id="{p}_diagram" name={quoteattr(self.process_name)}>',
              f'    <bpmndi:BPMNPlane id="{p}_plane" bpmnElement="{self.collaboration_id}">']

        def bounds(x, y, w, h):
            return f'<dc:Bounds x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" />'

        L += [f'      <bpmndi:BPMNShape id="{self.participant_id}_di" bpmnElement="{self.participant_id}" isHorizontal="true">',
              f"        {bounds(POOL_X, POOL_Y, self.width, self.height)}",
              "      </bpmndi:BPMNShape>"]
        for ln in self.lanes:
            top = self.lane_top(ln)
            L += [f'      <bpmndi:BPMNShape id="{p}_lane_{ln}_di" bpmnElement="{p}_lane_{ln}" isHorizontal="true">',
                  f"        {bounds(POOL_X + POOL_LABEL, top, self.width - POOL_LABEL, self.lane_rows[ln] * ROW_H)}",
                  "      </bpmndi:BPMNShape>"]
        # hosts before their boundary events, so the modeller draws the boundary on top
        ordered = [n for n in self.nodes.values() if n.kind != "boundaryEvent"] + \
                  [n for n in self.nodes.values() if n.kind == "boundaryEvent"]
        for n in ordered:
            extra = ' isExpanded="false"' if n.kind == "callActivity" else ""
            extra += ' isMarkerVisible="true"' if n.kind == "exclusiveGateway" else ""
            extra += MECHANICS_COLOR if self.is_mechanics(n) else ""
            L.append(f'      <bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{extra}>')
            L.append(f"        {bounds(n.x, n.y, n.w, n.h)}")
            if KIND_SHAPE[n.kind] in ("event", "gateway"):
                L.append(f"        <bpmndi:BPMNLabel>{bounds(*self._label_bounds(n))}</bpmndi:BPMNLabel>")
            L.append("      </bpmndi:BPMNShape>")
        for f in self.flows:
            pts = self.route(f)
            L.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">')
            for x, y in pts:
                L.append(f'        <di:waypoint x="{x:.0f}" y="{y:.0f}" />')
            if f.name:
                (x1, y1), (x2, y2) = pts[0], pts[1]
                lx = min(x1, x2) + 6
                ly = min(y1, y2) + 4 if abs(y1 - y2) < 1 else (y1 + y2) / 2 - 14
                L.append(f"        <bpmndi:BPMNLabel>{bounds(lx, ly, 80, 27)}</bpmndi:BPMNLabel>")
            L.append("      </bpmndi:BPMNEdge>")
        if mechanics:    # the legend, above the pool's top left corner
            L += [f'      <bpmndi:BPMNShape id="{p}_motor_di" bpmnElement="{p}_motor">',
                  f"        {bounds(POOL_X, POOL_Y - 56, 560, 46)}", "      </bpmndi:BPMNShape>"]
        for a in self.notes:
            t = self.nodes[a.target]
            L += [f'      <bpmndi:BPMNShape id="{a.id}_di" bpmnElement="{a.id}">',
                  f"        {bounds(a.x, a.y, a.w, a.h)}", "      </bpmndi:BPMNShape>",
                  f'      <bpmndi:BPMNEdge id="{a.id}_til_di" bpmnElement="{a.id}_til">',
                  *(f'        <di:waypoint x="{x:.0f}" y="{y:.0f}" />' for x, y in self._note_path(a, t)),
                  "      </bpmndi:BPMNEdge>"]
        for gid, members in self.groups:
            x, y, w, h = self._group_bounds(members)
            L += [f'      <bpmndi:BPMNShape id="{gid}_di" bpmnElement="{gid}">', f"        {bounds(x, y, w, h)}",
                  f"        <bpmndi:BPMNLabel>{bounds(x + 6, y + 3, 150, 28)}</bpmndi:BPMNLabel>",   # top left, 2 lines
                  "      </bpmndi:BPMNShape>"]
        L += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>", ""]
        return "\n".join(L)
