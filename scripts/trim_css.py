#!/usr/bin/env python
"""Build static/css/site.min.css: the rules of Bootstrap and Bootstrap Icons that LAPOR's pages use.

Bootstrap's stylesheet is 232 KB (31 KB compressed) and the icons' 87 KB (14 KB) for about 2,000
icons, of which the pages use a handful; a citizen on a phone downloads all of it before the page
shows (issue #15: pages under 30 KB compressed on a cold cache). This keeps a rule when every class
and attribute its selector names appears somewhere in the sources that write HTML — the templates,
LAPOR's own scripts and the Python code (form widgets, message tags) — as a word, or starts with a
prefix the sources complete at run time (`alert-{% … %}`, `text-bg-{{ … }}`, f"…-{x}"). Rules
without a class (elements, `:root`'s variables) are always kept; so are `@font-face` and `@keyframes`.

    .venv/bin/python scripts/trim_css.py          # after using a Bootstrap class no page used before

`lapor/tests/test_site_css.py` fails, naming the class, when a template uses one this file lacks.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    ROOT / "static/vendor/bootstrap/css/bootstrap.min.css",
    ROOT / "static/vendor/bootstrap-icons/bootstrap-icons.min.css",
]
OUTPUT = ROOT / "static/css/site.min.css"
# The icons' font, relative to the output file.
FONT_URL = ('url("fonts/', 'url("../vendor/bootstrap-icons/fonts/')
SKIP_DIRS = {".venv", "node_modules", "static", "media", "locale", ".git", "__pycache__", "tests", "bench"}
WORD = re.compile(r"[A-Za-z0-9_-]+")
PREFIX = re.compile(r"([A-Za-z0-9_-]+-)(?=\{|\$\{)")  # "alert-{% if …", f"text-bg-{x}", `bi-${name}`
CLASS = re.compile(r"\.((?:\\.|[A-Za-z0-9_-])+)")
ATTRIBUTE = re.compile(r"\[([A-Za-z-]+)")
NOT = re.compile(r":not\((?:[^()]|\([^()]*\))*\)")


def source_files(root: Path = ROOT):
    for path in root.rglob("*"):
        if path == Path(__file__).resolve() or any(part in SKIP_DIRS for part in path.relative_to(root).parts[:-1]):
            continue
        if path.suffix in (".html", ".py", ".txt") and path.is_file() and not path.name.startswith("test_"):
            yield path
    yield from (p for p in (root / "static/js").glob("*.js"))


def vocabulary(root: Path = ROOT) -> tuple[set[str], tuple[str, ...]]:
    words, prefixes = set(), set()
    for path in source_files(root):
        text = path.read_text(encoding="utf-8", errors="ignore")
        words.update(WORD.findall(text))
        prefixes.update(PREFIX.findall(text))
    return words, tuple(sorted(prefixes))


def _blocks(css: str):
    """(prelude, body) of each top-level rule or at-rule; body None for `@charset …;`-like statements."""
    i, n = 0, len(css)
    while i < n:
        if css.startswith("/*", i):
            end = css.index("*/", i) + 2
            yield css[i:end], None
            i = end
            continue
        brace = css.find("{", i)
        semi = css.find(";", i)
        if brace == -1:
            break
        if semi != -1 and semi < brace:
            yield css[i : semi + 1], None
            i = semi + 1
            continue
        depth, j, quote = 1, brace + 1, None
        while depth:
            c = css[j]
            if quote:
                quote = None if c == quote else quote
            elif c in "\"'":
                quote = c
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            j += 1
        yield css[i:brace].strip(), css[brace + 1 : j - 1]
        i = j


def _split_selectors(prelude: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for k, c in enumerate(prelude):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(prelude[start:k])
            start = k + 1
    parts.append(prelude[start:])
    return [p.strip() for p in parts if p.strip()]


def _used(selector: str, words: set[str], prefixes: tuple[str, ...]) -> bool:
    plain = NOT.sub("", selector)  # `:not(.x)` matches whether or not .x is used
    names = [c.replace("\\", "") for c in CLASS.findall(plain)] + ATTRIBUTE.findall(plain)
    return all(name in words or name.startswith(prefixes) for name in names)


def trim(css: str, words: set[str], prefixes: tuple[str, ...]) -> str:
    out = []
    for prelude, body in _blocks(css):
        if body is None:
            if prelude.startswith("/*!"):
                out.append(prelude)  # the licence
            elif not prelude.startswith("/*"):
                out.append(prelude)
            continue
        if prelude.startswith(("@media", "@supports", "@container", "@layer")):
            inner = trim(body, words, prefixes)
            if inner:
                out.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{body}}}")  # @font-face, @keyframes
        else:
            kept = [s for s in _split_selectors(prelude) if _used(s, words, prefixes)]
            if kept:
                out.append(f"{','.join(kept)}{{{body}}}")
    return "".join(out)


def build(root: Path = ROOT) -> str:
    words, prefixes = vocabulary(root)
    parts = [trim(path.read_text(encoding="utf-8"), words, prefixes) for path in SOURCES]
    parts[1] = parts[1].replace(*FONT_URL)
    # The font subset to the icons kept here (scripts/build_icons.py: 1 KB instead of 134 KB).
    parts[1] = re.sub(
        r"(@font-face\{[^}]*?)src:[^}]*\}", r'\1src:url("../fonts/lapor-icons.woff2") format("woff2")}', parts[1]
    )
    return "\n".join(parts) + "\n"


def selectors(css: str) -> set[str]:
    """Every selector of every rule (inside at-rules too): what test_site_css compares."""
    found = set()
    for prelude, body in _blocks(css):
        if body is None:
            continue
        if prelude.startswith(("@media", "@supports", "@container", "@layer")):
            found |= {f"{prelude} {s}" for s in selectors(body)}
        elif not prelude.startswith("@"):
            found |= set(_split_selectors(prelude))
    return found


if __name__ == "__main__":
    css = build()
    OUTPUT.write_text(css, encoding="utf-8")
    sys.stdout.write(f"{OUTPUT.relative_to(ROOT)}: {len(css):,} bytes\n")
