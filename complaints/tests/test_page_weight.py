"""The public list and map page (/laporan/) stays under 30 KB compressed before tiles (#18 item 6):
what a browser with a cold cache downloads for it — the HTML of a full page of reports, its
stylesheets, scripts, the fonts and favicon they use — each gzip-compressed as a server sends it.
The map is LAPOR's own (static/js/report_map.js and css/map.css, both part of the page: no library, no
file loaded on opening), so opening it ("Tampilkan peta") loads only the country's clusters from
peta.json; the page with the map open is held to the same budget (docs/benchmarks.md, #18). The page
is fetched with a private local-memory cache of its own, so these figures do not depend on whether
another test (or the anonymous pages' cache) served it."""

import gzip
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache

from agencies.models import Region
from complaints.tests.portal import published
from lapor import http_cache

BUDGET = 30 * 1024
STATIC = re.compile(r'(?:href|src)="/static/([^"?]+)"')
# Files a page names for a script to load later (data-…="/static/…"): counted as loaded with the map open.
ON_OPEN = re.compile(r'data-[a-z-]+="/static/([^"?]+)"')
# The page with the map open, before tiles: 30 KB like the page itself. With Leaflet (the trimmed build,
# still the report form's pin map) it was 53 KB, with the full Leaflet 1.9.4 and Leaflet.markercluster 80 KB.
MAP_OPEN_BUDGET = BUDGET
# The country's view as the map first opens (zoom 5 over Indonesia): west,south,east,north.
COUNTRY = "95,-11,141,6"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "weight"}}
    cache.clear()


def gz(data: bytes, level: int = 6) -> int:
    return len(gzip.compress(data, compresslevel=level))


def static_file(path: str) -> bytes:
    found = finders.find(path.removeprefix("/static/"))
    assert found, path
    with open(found, "rb") as fh:
        return fh.read()


def transfer(html: str) -> dict[str, int]:
    """{part: compressed bytes} of the page as first loaded: the HTML, every stylesheet, script and icon
    it names, and every font the stylesheets name (woff2 is compressed already: counted as is)."""
    parts = {"HTML": gz(html.encode(), http_cache.COMPRESS_LEVEL)}  # as the server compresses a page
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
    # The map's own script and styles are counted with the page; no map library is named, even for later.
    assert {"js/report_map.js", "css/map.css"} <= set(parts)
    assert "leaflet" not in html


def map_open(client, html: str) -> dict[str, int]:
    """{part: compressed bytes} of what opening the map loads: every static file the page names for
    loading later, and the first peta.json (the country's view)."""
    parts = {path: gz(static_file(path)) for path in dict.fromkeys(ON_OPEN.findall(html))}
    points_url = re.search(r'data-points-url="([^"]+)"', html).group(1)
    response = client.get(points_url, {"bbox": COUNTRY})
    assert response.status_code == 200
    parts["peta.json"] = gz(response.content)
    return parts


@pytest.mark.django_db
def test_the_page_with_the_map_open_stays_within_its_budget(client, make_report, national_admin):
    regency = Region.objects.get(code="51.03")
    for n in range(26):
        published(
            make_report,
            national_admin,
            title=f"Jalan berlubang di depan pasar nomor {n}",
            latitude=-8.65 - n / 1000,
            longitude=115.17 + n / 1000,
            regency=regency,
        )
    html = client.get("/laporan/").content.decode()
    page, opened = transfer(html), map_open(client, html)
    total = sum(page.values()) + sum(opened.values())
    listing = ", ".join(f"{name} {size}" for name, size in {**page, **opened}.items())
    assert total < MAP_OPEN_BUDGET, f"{total} bytes with the map open: {listing}"
    assert json.loads(client.get("/laporan/peta.json", {"bbox": COUNTRY}).content)["clusters"]
    # Clusters are drawn by the page's own script from the server's counts: no map library, no marker images.
    assert not any("leaflet" in name or "markercluster" in name or name.endswith(".png") for name in {**page, **opened})
