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
