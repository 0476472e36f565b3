"""Build agencies/data/regions.csv from the npm package ``idn-area-data``.

One-off, rerunnable when a new version of the package is published::

    cd /tmp && npm pack idn-area-data && tar xzf idn-area-data-*.tgz
    python scripts/build_regions.py /tmp/package

The package's data is made available under the Open Database License (ODbL);
see agencies/data/README.md for the attribution that must stay with the file.
"""

import csv
import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "agencies" / "data" / "regions.csv"

EXPECTED_PROVINCES = 38
EXPECTED_REGENCIES = 514

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

    rows = []
    for province in sorted(provinces, key=lambda p: p["code"]):
        code = province["code"]
        rows.append([code, proper_case(province["name"]), "province", "", TIMEZONES[code]])
        for regency in sorted(
            (r for r in regencies if r["province_code"] == code),
            key=lambda r: r["code"],
        ):
            assert regency["code"].startswith(code + "."), regency
            rows.append(
                [
                    regency["code"],
                    proper_case(regency["name"]),
                    "regency",
                    code,
                    TIMEZONES[code],
                ]
            )
    if len(rows) != EXPECTED_PROVINCES + EXPECTED_REGENCIES:
        sys.exit("some regencies reference an unknown province")

    with OUTPUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent_code", "timezone"])
        writer.writerows(rows)
    print(f"idn-area-data {version}: wrote {len(rows)} regions to {OUTPUT}")


if __name__ == "__main__":
    main(*sys.argv[1:])
