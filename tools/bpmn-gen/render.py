"""Render BPMN files to PNG with bpmn-js in headless Chromium (what a modeller shows).

    .venv/bin/python tools/bpmn-gen/render.py processes/institusjon-til-bolig.bpmn docs/institusjon-til-bolig.png

Needs Debian's ``chromium`` (``make browser``), bpmn-js from npm (``make assets`` installs it in
``node_modules/``) and the ``playwright`` Python package. Nothing is fetched from the network.
"""
from __future__ import annotations

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


def render(pairs: list[tuple[Path, Path]], scale: float = 1.0) -> None:
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
            page.screenshot(path=str(dst), full_page=True)
            print("wrote", dst, f"{w}x{h}")
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


def broken_labels(src: Path) -> list[str]:
    """Elements whose label bpmn-js breaks inside a word, as «id: line / line» (empty: none)."""
    found: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
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
        browser.close()
    return found


def main(argv: list[str]) -> None:
    if len(argv) < 2 or len(argv) % 2:
        sys.exit(__doc__)
    pairs = [(Path(argv[i]), Path(argv[i + 1])) for i in range(0, len(argv), 2)]
    render(pairs)


if __name__ == "__main__":
    main(sys.argv[1:])
