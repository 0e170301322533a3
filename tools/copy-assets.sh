#!/bin/sh
# Copy the bpmn-js viewer (installed from npm by `make assets`) into the static folder, so the case
# page draws diagrams without loading anything from the internet.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC="$ROOT/node_modules/bpmn-js/dist"
DEST="$ROOT/engine/web/static/vendor/bpmn-js"
if [ ! -d "$SRC" ]; then
  echo "bpmn-js is not installed: run 'npm ci' first" >&2
  exit 1
fi
mkdir -p "$DEST/assets"
cp "$SRC/bpmn-navigated-viewer.production.min.js" "$DEST/"
cp -R "$SRC/assets/." "$DEST/assets/"
echo "copied bpmn-js $(node -p "require('$ROOT/node_modules/bpmn-js/package.json').version" 2>/dev/null || echo '?') to $DEST"
# Chart.js (the compliance report's charts, #16): one UMD file, no network at run time.
CHART_SRC="$ROOT/node_modules/chart.js/dist/chart.umd.min.js"
if [ ! -f "$CHART_SRC" ]; then
  echo "chart.js is not installed: run 'npm ci' first" >&2
  exit 1
fi
mkdir -p "$ROOT/engine/web/static/vendor/chart.js"
cp "$CHART_SRC" "$ROOT/engine/web/static/vendor/chart.js/"
echo "copied chart.js $(node -p "require('$ROOT/node_modules/chart.js/package.json').version" 2>/dev/null || echo '?')"
# The browser modeler (#18): bpmn-js Modeler + bpmn-js-properties-panel + our «Tilbolig» panel group,
# bundled from tools/modeler/src by esbuild (a pinned devDependency; its binary comes with `npm ci`).
# Built at install, like the other vendored files: the source is committed, the bundle is not.
MOD_DEST="$ROOT/engine/web/static/vendor/modeler"
mkdir -p "$MOD_DEST"
node "$ROOT/tools/modeler/build.mjs" "$MOD_DEST/modeler.js"
cp "$ROOT/node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css" "$MOD_DEST/"
echo "built the modeler bundle ($(wc -c < "$MOD_DEST/modeler.js") bytes)"
