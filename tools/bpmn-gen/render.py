"""Render BPMN files to PNG with bpmn-js in headless Chromium (what a modeller shows).

    .venv/bin/python tools/bpmn-gen/render.py processes/institusjon-til-bolig.bpmn docs/institusjon-til-bolig.png
    .venv/bin/python tools/bpmn-gen/render.py --parts 2 processes/opphold-pa-institusjon.bpmn docs/opphold-pa-institusjon.png

``--parts N`` cuts a wide diagram into N images (``…-1.png``, ``…-2.png``) at gaps between shapes,
each with the pool's lane labels repeated, so a README shows them readable at page width.

Needs Debian's ``chromium`` (``make browser``), bpmn-js from npm (``make assets`` installs it in
``node_modules/``) and the ``playwright`` Python package. Nothing is fetched from the network.
"""
from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
VIEWER = ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js"
CSS = ROOT / "node_modules" / "bpmn-js" / "dist" / "assets" / "bpmn-js.css"

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
html, body { margin: 0; background: white; font-family: Arial, sans-serif; }
#canvas { width: 100vw; height: 100vh; }
</style></head><body><div id="canvas"></div></body></html>"""


def cuts(xml: str, parts: int) -> list[float]:
    """x positions (diagram coordinates) that split the drawing into ``parts`` of about equal width,
    each in a gap between shapes (flows may cross a cut; shapes and their labels never do)."""
    from lxml import etree
    root = etree.fromstring(xml.encode())
    frames = {g.get("id") for g in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}group")}
    boxes = [(float(b.get("x")), float(b.get("x")) + float(b.get("width")))
             for shape in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape")
             if shape.get("isHorizontal") != "true" and shape.get("bpmnElement") not in frames   # a group is a frame
             for b in shape.iter("{http://www.omg.org/spec/DD/20100524/DC}Bounds")]
    left, right = min(a for a, _ in boxes), max(b for _, b in boxes)
    out = []
    for i in range(1, parts):
        want = left + (right - left) * i / parts
        free = [x for x in range(int(left), int(right)) if not any(a - 6 <= x <= b + 6 for a, b in boxes)]
        out.append(min(free, key=lambda x: abs(x - want)))
    return out


def render(pairs: list[tuple[Path, Path]], scale: float = 1.0, parts: int = 1) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
        for src, dst in pairs:
            page = browser.new_page(viewport={"width": 800, "height": 600}, device_scale_factor=scale)
            page.set_content(PAGE)
            if CSS.exists():
                page.add_style_tag(content=CSS.read_text())
            page.add_script_tag(content=VIEWER.read_text())
            xml = src.read_text(encoding="utf-8")
            box = page.evaluate("""async (xml) => {
                const viewer = new BpmnJS({ container: '#canvas' });
                const result = await viewer.importXML(xml);
                if (result.warnings.length) { throw new Error('import warnings: ' + JSON.stringify(result.warnings.map(w => w.message))); }
                const canvas = viewer.get('canvas');
                const vb = canvas.viewbox();
                return { x: vb.inner.x, y: vb.inner.y, width: vb.inner.width, height: vb.inner.height };
            }""", xml)
            w, h = int(box["width"]) + 40, int(box["height"]) + 40
            page.set_viewport_size({"width": w, "height": h})
            page.evaluate("""(box) => {
                const el = document.querySelector('#canvas .djs-container');
                const viewerCanvas = document.querySelector('#canvas');
                viewerCanvas.style.width = (box.width + 40) + 'px';
                viewerCanvas.style.height = (box.height + 40) + 'px';
            }""", box)
            page.evaluate("""(box) => {
                // re-fit after resizing: show the whole diagram at 100 %
                const svg = document.querySelector('#canvas svg');
                const vp = svg.querySelector('.viewport');
                vp.setAttribute('transform', `matrix(1,0,0,1,${20 - box.x},${20 - box.y})`);
            }""", box)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if parts == 1:
                page.screenshot(path=str(dst), full_page=True)
                print("wrote", dst, f"{w}x{h}")
            else:
                _split(browser, page.screenshot(full_page=True), xml, box, h, parts, dst)
            page.close()
        browser.close()


#: For every labelled element: its name and the lines bpmn-js drew it on (task labels inside the
#: shape, event/gateway/flow labels outside).  A line that starts or ends inside a word is a
#: mid-word break («informasjonsde / ling»).
LINES_JS = """async (xml) => {
    const viewer = new BpmnJS({ container: '#canvas' });
    await viewer.importXML(xml);
    const out = [];
    for (const el of viewer.get('elementRegistry').getAll()) {
        const name = el.businessObject && (el.businessObject.name || el.businessObject.text);
        if (!name || el.type === 'label' && !el.labelTarget) continue;
        const gfx = viewer.get('elementRegistry').getGraphics(el);
        const lines = [...gfx.querySelectorAll('text tspan')].map(t => t.textContent);
        if (lines.length) out.push({ id: el.id, type: el.type, name, lines });
    }
    return out;
}"""


def broken_labels(src: Path, browser=None) -> list[str]:
    """Elements whose label bpmn-js breaks inside a word, as «id: line / line» (empty: none).

    ``browser``: a Playwright Chromium to use (the tests pass theirs); else one is started.
    """
    if browser is None:
        with sync_playwright() as p:
            own = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
            try:
                return broken_labels(src, own)
            finally:
                own.close()
    found: list[str] = []
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_content(PAGE)
    if CSS.exists():
        page.add_style_tag(content=CSS.read_text())
    page.add_script_tag(content=VIEWER.read_text())
    for item in page.evaluate(LINES_JS, src.read_text(encoding="utf-8")):
        words = set(" ".join(item["name"].split()).split(" "))
        for line in item["lines"]:
            if any(w and w not in words for w in line.split()):
                found.append(f"{item['id']}: {' / '.join(item['lines'])}")
                break
    page.close()
    return found


def _split(browser, png: bytes, xml: str, box: dict, h: int, parts: int, dst: Path) -> None:
    """Write ``dst-1.png`` … from one full screenshot: each part starts with the pool's and lanes'
    label band (the first 60 px of the drawing), then its slice between two cuts."""
    data = base64.b64encode(png).decode()
    band = 20 + 60
    edges = [box["x"] + 60, *cuts(xml, parts), box["x"] + box["width"] + 20]
    for i in range(parts):
        x0, x1 = edges[i] - box["x"] + 20, edges[i + 1] - box["x"] + 20
        width = int(band + x1 - x0)
        page = browser.new_page(viewport={"width": width, "height": h})
        page.set_content(f"""<html><body style="margin:0;background:white;display:flex">
            <div style="width:{band}px;height:{h}px;overflow:hidden;position:relative;flex:none">
              <img src="data:image/png;base64,{data}" style="position:absolute;left:0;top:0"></div>
            <div style="width:{x1 - x0}px;height:{h}px;overflow:hidden;position:relative;flex:none">
              <img src="data:image/png;base64,{data}" style="position:absolute;left:{-x0}px;top:0"></div>
            </body></html>""")
        out = dst.with_name(f"{dst.stem}-{i + 1}{dst.suffix}")
        page.screenshot(path=str(out))
        print("wrote", out, f"{width}x{h}")
        page.close()


def main(argv: list[str]) -> None:
    parts = 1
    if argv[:1] == ["--parts"]:
        parts, argv = int(argv[1]), argv[2:]
    if len(argv) < 2 or len(argv) % 2:
        sys.exit(__doc__)
    pairs = [(Path(argv[i]), Path(argv[i + 1])) for i in range(0, len(argv), 2)]
    render(pairs, parts=parts)


if __name__ == "__main__":
    main(sys.argv[1:])
