"""Build agencies/data/regions.csv, districts.csv.gz and villages.csv.gz from the npm package
``idn-area-data``.

One-off, rerunnable when a new version of the package is published::

    cd /tmp && npm pack idn-area-data && tar xzf idn-area-data-*.tgz
    python scripts/build_regions.py /tmp/package

The package's data is made available under the Open Database License (ODbL);
see agencies/data/README.md for the attribution that must stay with the file.
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

EXPECTED_PROVINCES = 38
EXPECTED_REGENCIES = 514
# Version 3.1.2 of the package: 7,277 districts (kecamatan), 83,763 villages (kelurahan/desa).
MIN_DISTRICTS = 7000
MIN_VILLAGES = 80000

# The package has no coordinates for provinces, regencies, districts or villages; only its islands
# (data/islands.csv, 16,995 named islands in 279 regencies) carry one. A regency's bounding box is the
# box around its islands widened by this margin in degrees (about 5.5 km), a province's the box
# around its regencies' boxes. They are rough: a regency without islands has none, and one with
# islands covers its islands and the sea between them, not necessarily its mainland.
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


def island_boxes(islands: list[dict]) -> dict[str, list[float]]:
    """Regency code -> [lat_min, lng_min, lat_max, lng_max] around its islands, widened by BOX_MARGIN."""
    boxes = {}
    for island in islands:
        lat, lng = parse_coordinate(island["coordinate"])
        box = boxes.setdefault(island["regency_code"], [lat, lng, lat, lng])
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


def main(package_dir: str = "/tmp/package") -> None:
    package = Path(package_dir)
    version = json.loads((package / "package.json").read_text())["version"]
    provinces = read(package / "data" / "provinces.csv")
    regencies = read(package / "data" / "regencies.csv")
    if len(provinces) != EXPECTED_PROVINCES or len(regencies) != EXPECTED_REGENCIES:
        sys.exit(f"unexpected counts: {len(provinces)} provinces, {len(regencies)} regencies")
    missing = {p["code"] for p in provinces} - TIMEZONES.keys()
    if missing:
        sys.exit(f"no time zone for province(s) {sorted(missing)}")

    boxes = island_boxes(read(package / "data" / "islands.csv"))
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
    print(
        f"idn-area-data {version}: wrote {len(rows)} regions ({len(boxes)} regencies with a bounding box) to "
        f"{OUTPUT}, {len(districts)} districts and {len(villages)} villages"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
