"""The public list and map page (/laporan/) stays under 30 KB compressed before tiles (#18 item 6):
what a browser with a cold cache downloads for it — the HTML of a full page of reports, its
stylesheets, scripts, the fonts and favicon they use — each gzip-compressed as a server sends it.
Leaflet, its cluster plugin and the map's JSON are downloaded only when the visitor opens the map;
they are measured separately (docs/benchmarks.md)."""

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache

from complaints.tests.portal import published

BUDGET = 30 * 1024
STATIC = re.compile(r'(?:href|src)="/static/([^"?]+)"')
ON_OPEN = re.compile(r'data-(?:leaflet|cluster)-(?:js|css)="([^"]+)"')


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "weight"}}
    cache.clear()


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def static_file(path: str) -> bytes:
    found = finders.find(path.removeprefix("/static/"))
    assert found, path
    with open(found, "rb") as fh:
        return fh.read()


def transfer(html: str) -> dict[str, int]:
    """{part: compressed bytes} of the page as first loaded: the HTML, every stylesheet, script and icon
    it names, and every font the stylesheets name (woff2 is compressed already: counted as is)."""
    parts = {"HTML": gz(html.encode())}
    for path in dict.fromkeys(STATIC.findall(html)):
        body = static_file(path)
        parts[path] = len(body) if path.endswith((".woff2", ".ico")) else gz(body)
        if path.endswith(".css"):
            for font in re.findall(r'url\("?([^")?]+\.woff2)', body.decode()):
                font_path = path.rsplit("/", 1)[0] + "/" + font
                while "/../" in font_path:
                    font_path = re.sub(r"[^/]+/\.\./", "", font_path, count=1)
                parts[font_path] = len(static_file(font_path))
    return parts


@pytest.mark.django_db
def test_the_public_list_and_map_page_is_under_30_kb_compressed(client, make_report, national_admin):
    for n in range(26):  # a full page (25) and a next page
        published(make_report, national_admin, title=f"Jalan berlubang di depan pasar nomor {n}")
    html = client.get("/laporan/").content.decode()
    parts = transfer(html)
    total = sum(parts.values())
    listing = ", ".join(f"{name} {size}" for name, size in parts.items())
    assert total < BUDGET, f"{total} bytes: {listing}"
    assert "fonts/lapor-icons.woff2" in parts  # the icons' font subset, not the 134 KB one
    # Leaflet is named for loading when the map is opened, not loaded by the page.
    assert set(ON_OPEN.findall(html)) >= {"/static/vendor/leaflet/leaflet.js"}
    assert "vendor/leaflet/leaflet.js" not in STATIC.findall(html)
