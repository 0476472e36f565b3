"""static/css/site.min.css: Bootstrap and its icons trimmed to the rules the pages use (issue #15)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("trim_css", ROOT / "scripts/trim_css.py")
trim_css = importlib.util.module_from_spec(spec)
spec.loader.exec_module(trim_css)


def test_the_trimmed_stylesheet_has_every_rule_the_templates_use():
    committed = trim_css.selectors(trim_css.OUTPUT.read_text(encoding="utf-8"))
    missing = sorted(trim_css.selectors(trim_css.build()) - committed)
    assert not missing, f"run `.venv/bin/python scripts/trim_css.py`: static/css/site.min.css lacks {missing[:20]}"


def test_a_rule_is_kept_when_the_pages_use_every_class_it_names():
    css = (
        ":root{--x:1}body{margin:0}.btn{a:1}.btn-unused{b:2}.btn:not(.active){c:3}.card .btn{d:4}"
        ".alert-danger{e:5}@media (min-width:576px){.col-sm-6{f:6}.col-sm-7{g:7}}[data-bs-theme=dark]{h:8}"
        ".btn,.btn-lg{i:9}@keyframes spin{to{transform:rotate(1turn)}}"
    )
    words = {"btn", "col-sm-6"}
    trimmed = trim_css.trim(css, words, ("alert-",))
    assert trimmed == (
        ":root{--x:1}body{margin:0}.btn{a:1}.btn:not(.active){c:3}.alert-danger{e:5}"
        "@media (min-width:576px){.col-sm-6{f:6}}.btn{i:9}@keyframes spin{to{transform:rotate(1turn)}}"
    )


def test_the_icons_font_is_found_from_the_trimmed_stylesheet():
    css = trim_css.OUTPUT.read_text(encoding="utf-8")
    assert 'src:url("../fonts/lapor-icons.woff2") format("woff2")' in css
    assert (trim_css.OUTPUT.parent / "../fonts/lapor-icons.woff2").resolve().exists()


def test_the_icons_font_has_every_icon_the_stylesheet_uses():
    """scripts/build_icons.py subsets the font to the icon rules of site.min.css (the names it kept are
    listed beside the font); rerun it after trim_css.py when a page uses a new icon."""
    spec = importlib.util.spec_from_file_location("build_icons", ROOT / "scripts/build_icons.py")
    build_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_icons)
    used = set(build_icons.icons_in_use(trim_css.OUTPUT.read_text(encoding="utf-8")))
    assert used, "no icon rule found"
    kept = set(build_icons.NAMES_OUTPUT.read_text(encoding="utf-8").split())
    assert used <= kept, f"run scripts/build_icons.py: the font lacks {sorted(used - kept)}"
