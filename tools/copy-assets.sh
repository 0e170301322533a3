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
