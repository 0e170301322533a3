// Bundle the browser modeler (#18) with esbuild: `node tools/modeler/build.mjs <outfile>` (run by
// tools/copy-assets.sh at `make assets`).  One patch: bpmn-js-properties-panel builds its container
// from HTML with an inline `style` attribute, which our Content-Security-Policy (style-src 'self')
// refuses; the attributes are dropped here and static/modeler.css gives the containers their layout.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';

// The inline style attributes bpmn-js-properties-panel writes in HTML, and what they become.
const INLINE = [
  ['<div style="height: 100%" tabindex="-1" class="bio-properties-panel-container">',
    '<div tabindex="-1" class="bio-properties-panel-container">'],
  ['<div style="flex: none; height: auto" class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container">',
    '<div class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container">'],
];
const noInlineStyle = {
  name: 'no-inline-style',
  setup(b) {
    b.onLoad({ filter: /bpmn-js-properties-panel[\\/]dist[\\/]index\.esm\.js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      for (const [from, to] of INLINE) {
        if (!text.includes(from)) { throw new Error('bpmn-js-properties-panel changed: update tools/modeler/build.mjs'); }
        text = text.replace(from, to);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

await build({
  entryPoints: [new URL('./src/index.js', import.meta.url).pathname],
  bundle: true, minify: true, format: 'iife', target: 'es2020', logLevel: 'warning',
  outfile: process.argv[2], plugins: [noInlineStyle],
});
