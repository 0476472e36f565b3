#!/usr/bin/env bash
# Build LAPOR's trimmed Leaflet (static/vendor/leaflet/leaflet-lapor.min.js and leaflet-lapor.css) from
# Leaflet's own ES-module source, bundling only what the report form's pin map uses (static/js/place_map.js;
# scripts/leaflet/entry.js: the map, a tile layer with attribution, the zoom control, DivIcon markers, and
# the drag, keyboard, scroll-wheel, double-click and touch handlers), and the stylesheet without the rules
# of the rest. The public and staff maps are LAPOR's own (static/js/report_map.js) and need none of it.
# The built files are committed; esbuild is a dev-time tool only (npm, from the registry, pinned below).
#
# Usage: scripts/build_leaflet.sh
set -euo pipefail

LEAFLET_VERSION="1.9.4"   # the version the maps were written against; source from the npm package's src/
ESBUILD_VERSION="0.28.2"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/vendor/leaflet"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cp "$ROOT/scripts/leaflet/entry.js" "$ROOT/scripts/leaflet/build.mjs" "$WORK/"
cd "$WORK"
printf '{"name":"lapor-leaflet-build","private":true,"type":"module"}\n' > package.json
npm install --silent --no-audit --no-fund --save-exact "leaflet@$LEAFLET_VERSION" "esbuild@$ESBUILD_VERSION"

rm -rf "$DEST" && mkdir -p "$DEST"
node build.mjs "$WORK/entry.js" "$DEST"
cp node_modules/leaflet/LICENSE "$DEST/LICENSE"
echo "Built $DEST/leaflet-lapor.min.js and leaflet-lapor.css from leaflet $LEAFLET_VERSION with esbuild $ESBUILD_VERSION"
