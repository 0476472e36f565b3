// Run by scripts/build_leaflet.sh (in a temporary directory holding the pinned leaflet and esbuild):
//   node build.mjs <entry.js> <out-dir>
// writes <out-dir>/leaflet-lapor.min.js (entry.js bundled as an IIFE defining window.L, minified) and
// <out-dir>/leaflet-lapor.css (Leaflet's stylesheet without the rules of the parts not bundled).
import {build} from 'esbuild';
import {readFileSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';

const [entry, outDir] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const leaflet = path.dirname(require.resolve('leaflet/package.json'));
const {version} = JSON.parse(readFileSync(path.join(leaflet, 'package.json'), 'utf8'));

// Marker.js imports its drag handler; markers here are never dragged (Marker.js checks `if (MarkerDrag)`).
const stubs = {'Marker.Drag.js': 'export var MarkerDrag = null;'};
const stubPlugin = {
  name: 'lapor-stubs',
  setup(b) {
    b.onLoad({filter: /Marker\.Drag\.js$/}, (args) => ({contents: stubs[path.basename(args.path)], loader: 'js'}));
  },
};

const banner = `/* Leaflet ${version}, https://leafletjs.com, (c) 2010-2023 Volodymyr Agafonkin, (c) 2010-2011 CloudMade;
   BSD-2-Clause, see LICENSE. Trimmed build for LAPOR: scripts/build_leaflet.sh, scripts/leaflet/entry.js. */`;
await build({
  entryPoints: [entry],
  bundle: true,
  format: 'iife',
  globalName: 'L',
  minify: true,
  target: 'es2015',
  legalComments: 'none',
  banner: {js: banner},
  nodePaths: [path.dirname(leaflet)],
  plugins: [stubPlugin],
  outfile: path.join(outDir, 'leaflet-lapor.min.js'),
  logLevel: 'warning',
});

// The stylesheet: drop every selector naming a part not bundled, then every rule left without one.
const unused = /popup|tooltip|control-layers|control-scale|zoom-box|vml|image-layer|video|oldie|crosshair|overlay-pane|canvas|svg|default-icon-path|marker-shadow|marker-draggable|leaflet-retina|leaflet-fade-anim|leaflet-attribution-flag/;
let css = readFileSync(path.join(leaflet, 'dist', 'leaflet.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
const out = [];
const rule = /([^{}]+)\{([^{}]*)\}/g;
// @media print holds one rule (hide .leaflet-control when printing): kept as is, minified below.
const media = css.match(/@media print\s*\{([\s\S]*?\})\s*\}/);
if (media) { css = css.replace(media[0], ''); }
for (const [, selectors, body] of css.matchAll(rule)) {
  const kept = selectors.split(',').map((s) => s.trim()).filter((s) => s && !unused.test(s));
  if (kept.length) { out.push(`${kept.join(',')}{${body.trim()}}`); }
}
if (media) { out.push(`@media print{${media[1].replace(/\s+/g, ' ').trim()}}`); }
const minified = out.join('\n')
  .replace(/\s*([{};:,>])\s*/g, '$1')
  .replace(/;}/g, '}')
  .replace(/[ \t]+/g, ' ');
writeFileSync(path.join(outDir, 'leaflet-lapor.css'),
  `/* Leaflet ${version} stylesheet (BSD-2-Clause, see LICENSE), trimmed to the parts of leaflet-lapor.min.js */\n${minified}\n`);
