#!/usr/bin/env bash
# Re-vendor the front-end libraries into static/vendor/ from the npm registry.
# The site must never load assets from a CDN, so the files are committed.
# Needs npm (dev machines only; not needed at run time).
#
# Usage: scripts/vendor_assets.sh            # pinned versions below
#        BOOTSTRAP_VERSION=5.3.10 scripts/vendor_assets.sh
set -euo pipefail

BOOTSTRAP_VERSION="${BOOTSTRAP_VERSION:-5.3.9}"
BOOTSTRAP_ICONS_VERSION="${BOOTSTRAP_ICONS_VERSION:-1.13.2}"
CHARTJS_VERSION="${CHARTJS_VERSION:-4.6.1}"
AXE_CORE_VERSION="${AXE_CORE_VERSION:-4.14.1}"  # test-only: complaints/tests/browser/vendor/

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

fetch() { # fetch <package> <version> -> unpacks into $WORK/<package>/package
    local name="$1" version="$2" tgz
    mkdir -p "$WORK/$name"
    tgz="$(cd "$WORK/$name" && npm pack --silent "$name@$version" | tail -n1)"
    tar -xzf "$WORK/$name/$tgz" -C "$WORK/$name"
}

fetch bootstrap "$BOOTSTRAP_VERSION"
fetch bootstrap-icons "$BOOTSTRAP_ICONS_VERSION"
fetch chart.js "$CHARTJS_VERSION"
fetch axe-core "$AXE_CORE_VERSION"

rm -rf "$DEST/bootstrap" "$DEST/bootstrap-icons" "$DEST/chartjs"
mkdir -p "$DEST/bootstrap/css" "$DEST/bootstrap/js" \
         "$DEST/bootstrap-icons/fonts" "$DEST/chartjs"

# Bootstrap: minified CSS and JS bundle (includes Popper); source maps skipped.
bs="$WORK/bootstrap/package"
cp "$bs/dist/css/bootstrap.min.css" "$DEST/bootstrap/css/"
cp "$bs/dist/js/bootstrap.bundle.min.js" "$DEST/bootstrap/js/"
cp "$bs/LICENSE" "$DEST/bootstrap/LICENSE"

# Bootstrap Icons: icon-font CSS + woff/woff2 fonts (the CSS refers to ./fonts/).
bi="$WORK/bootstrap-icons/package"
cp "$bi/font/bootstrap-icons.min.css" "$DEST/bootstrap-icons/"
cp "$bi/font/fonts/bootstrap-icons.woff" "$bi/font/fonts/bootstrap-icons.woff2" \
   "$DEST/bootstrap-icons/fonts/"
cp "$bi/LICENSE" "$DEST/bootstrap-icons/LICENSE"

# Chart.js: UMD build (minified), exposes window.Chart.
cj="$WORK/chart.js/package"
if [ -f "$cj/dist/chart.umd.min.js" ]; then
    cp "$cj/dist/chart.umd.min.js" "$DEST/chartjs/chart.umd.min.js"
else
    cp "$cj/dist/chart.umd.js" "$DEST/chartjs/chart.umd.min.js"
fi
cp "$cj/LICENSE.md" "$DEST/chartjs/LICENSE.md"

# Leaflet is not copied but built from its source with only the parts the maps use:
# scripts/build_leaflet.sh (static/vendor/leaflet/).

# axe-core: the accessibility checker of the browser tests (never served; injected by WebDriver).
AXE_DEST="$ROOT/complaints/tests/browser/vendor/axe-core"
rm -rf "$AXE_DEST" && mkdir -p "$AXE_DEST"
ax="$WORK/axe-core/package"
cp "$ax/axe.min.js" "$ax/LICENSE" "$ax/LICENSE-3RD-PARTY.txt" "$AXE_DEST/"

# Strip trailing sourceMappingURL comments: we don't ship the maps, and
# ManifestStaticFilesStorage would fail on references to missing files.
for f in "$DEST/bootstrap/css/bootstrap.min.css" \
         "$DEST/bootstrap/js/bootstrap.bundle.min.js" \
         "$DEST/bootstrap-icons/bootstrap-icons.min.css" \
         "$DEST/chartjs/chart.umd.min.js"; do
    sed -i -E '/^\/[*\/]# sourceMappingURL=.*$/d' "$f"
done

echo "Vendored: bootstrap $BOOTSTRAP_VERSION, bootstrap-icons $BOOTSTRAP_ICONS_VERSION, chart.js $CHARTJS_VERSION, axe-core $AXE_CORE_VERSION (tests)"
echo "Remember to update static/vendor/README.md if versions changed."
