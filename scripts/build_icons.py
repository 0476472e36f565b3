"""Build static/fonts/lapor-icons.woff2: the Bootstrap Icons font subset to the icons the site uses.

The full font (static/vendor/bootstrap-icons/fonts, 134 KB of woff2) is downloaded by every page that
shows one icon; the site uses a handful. scripts/trim_css.py keeps in static/css/site.min.css the
rules of the icons the sources use and points its @font-face at this file; this script subsets the
font to the glyphs of those rules and lists their names in static/fonts/lapor-icons.txt. Rerun it
after trim_css.py whenever a new icon is used (lapor/tests/test_site_css.py fails until then)::

    pip install --target /tmp/ft fonttools brotli     # build-time only, not a project dependency
    .venv/bin/python scripts/trim_css.py && PYTHONPATH=/tmp/ft .venv/bin/python scripts/build_icons.py
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "static" / "vendor" / "bootstrap-icons" / "fonts" / "bootstrap-icons.woff2"
STYLESHEET = ROOT / "static" / "css" / "site.min.css"
FONT_OUTPUT = ROOT / "static" / "fonts" / "lapor-icons.woff2"
NAMES_OUTPUT = ROOT / "static" / "fonts" / "lapor-icons.txt"
ICON_RULE = re.compile(r'\.bi-([a-z0-9-]+)::before\{content:"\\([0-9a-f]+)"\}')


def icons_in_use(css: str) -> dict[str, int]:
    """{icon name: code point} of the icon rules in the trimmed stylesheet."""
    return {name: int(code, 16) for name, code in ICON_RULE.findall(css)}


def main() -> None:
    from fontTools import subset

    icons = icons_in_use(STYLESHEET.read_text(encoding="utf-8"))
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []
    options.name_IDs = ["*"]
    font = subset.load_font(str(SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(icons.values()))
    subsetter.subset(font)
    FONT_OUTPUT.parent.mkdir(exist_ok=True)
    subset.save_font(font, str(FONT_OUTPUT), options)
    NAMES_OUTPUT.write_text("".join(f"{name}\n" for name in sorted(icons)), encoding="utf-8")
    print(f"{len(icons)} icons: {', '.join(sorted(icons))}; {FONT_OUTPUT.stat().st_size} bytes of font")


if __name__ == "__main__":
    main()
