"""Reference data of the agencies app: regions (Kemendagri), districts and villages, the starter
agency tree and a government for every regency/city.

Read from agencies/data/*.csv and upserted by code; running it again changes nothing unless a CSV
changed, and rows that exist only in the database (added by an admin) are left alone. The
`load_reference` command (complaints app) loads these and the complaint categories in one
transaction.
"""

import csv
import gzip
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.text import slugify

from .models import Agency, District, Region, RegionPoint, Village

DATA = Path(__file__).resolve().parent / "data"
REGIONS_CSV = DATA / "regions.csv"
DISTRICTS_CSV = DATA / "districts.csv.gz"
VILLAGES_CSV = DATA / "villages.csv.gz"
POINTS_CSV = DATA / "region_points.csv.gz"
AGENCIES_CSV = DATA / "agencies.csv"
BATCH = 2000

DEFAULT_TIMEZONE = "Asia/Jakarta"
BOOLEANS = {"true": True, "false": False}


def read_csv(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", newline="", encoding="utf-8") as fh:
            return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(fh)]
    except FileNotFoundError as exc:
        raise CommandError(f"{path} tidak ditemukan") from exc


def _float(value: str) -> float | None:
    return float(value) if value else None


def upsert(model, code, values, obj=None, *, found=False):
    """Create or update by code with a full save() (never save(update_fields=...)), writing only on change.
    `found=True`: `obj` is the row already read (None: there is none), so no query is made to find it.

    A full save matters for Agency: its save() recomputes the materialized path, which a
    save(update_fields=[...]) as done by update_or_create() would not write when the parent changes.
    """
    if not found:
        obj = model.objects.filter(code=code).first()
    if obj is None:
        obj = model(code=code, **values)
        obj.save()
        return obj, True, False
    changed = False
    for field, value in values.items():
        # Compare foreign keys by id so an unchanged row costs no extra query.
        current = getattr(obj, f"{field}_id") if field in ("parent", "region") else getattr(obj, field)
        wanted = value.pk if field in ("parent", "region") and value is not None else value
        if current != wanted:
            setattr(obj, field, value)
            changed = True
    if changed:
        obj.save()
    return obj, False, changed


def load_regions(rows) -> tuple[int, int]:
    """Regions: ~550 rows, natural primary key, so diff against the table and write in bulk.

    Returns (created, updated)."""
    existing = Region.objects.in_bulk()
    levels = set(Region.Level.values)
    seen, to_create, to_update = set(), [], []
    fields = ("name", "level", "parent_id", "timezone", "lat_min", "lng_min", "lat_max", "lng_max")
    for line, row in enumerate(rows, start=2):
        code = row["code"]
        if not code or code in seen:
            raise CommandError(f"regions.csv baris {line}: kode kosong atau ganda ({code!r})")
        if row["level"] not in levels:
            raise CommandError(f"regions.csv baris {line}: tingkat tidak dikenal {row['level']!r}")
        parent_code = row["parent_code"] or None
        if parent_code and parent_code not in seen:
            raise CommandError(f"regions.csv baris {line}: induk {parent_code!r} belum didefinisikan")
        seen.add(code)
        values = {
            "name": row["name"],
            "level": row["level"],
            "parent_id": parent_code,
            "timezone": row["timezone"] or DEFAULT_TIMEZONE,
            **{name: _float(row.get(name, "")) for name in ("lat_min", "lng_min", "lat_max", "lng_max")},
        }
        region = existing.get(code)
        if region is None:
            to_create.append(Region(code=code, **values))
        elif any(getattr(region, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(region, field, value)
            to_update.append(region)
    # Parents precede children in the file, so creating in file order satisfies the FK.
    Region.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Region.objects.bulk_update(to_update, [f.removesuffix("_id") for f in fields], batch_size=500)
    return len(to_create), len(to_update)


def load_areas(model, parent_field: str, parents, rows, label: str) -> tuple[int, int]:
    """Districts or villages: tens of thousands of rows, so the table is read as (code, name, parent)
    tuples in one query and only new or changed rows are written, in bulk. A row's parent is its code
    without the last part (51.03.01 → 51.03). Rows only in the database are left alone.

    Returns (created, updated)."""
    existing = {code: (name, parent) for code, name, parent in model.objects.values_list("pk", "name", parent_field)}
    seen, to_create, to_update = set(), [], []
    for line, row in enumerate(rows, start=2):
        code, name = row["code"], row["name"]
        parent = code.rpartition(".")[0]
        if not code or not name or code in seen:
            raise CommandError(f"{label} baris {line}: kode kosong atau ganda ({code!r})")
        if parent not in parents:
            raise CommandError(f"{label} baris {line}: induk {parent!r} tidak dikenal")
        seen.add(code)
        current = existing.get(code)
        if current is None:
            to_create.append(model(code=code, name=name, **{parent_field: parent}))
        elif current != (name, parent):
            to_update.append(model(code=code, name=name, **{parent_field: parent}))
    model.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        model.objects.bulk_update(to_update, ["name", parent_field.removesuffix("_id")], batch_size=BATCH)
    return len(to_create), len(to_update)


def load_districts(rows) -> tuple[int, int]:
    regencies = set(Region.objects.filter(level=Region.Level.REGENCY).values_list("pk", flat=True))
    return load_areas(District, "regency_id", regencies, rows, "districts.csv")


def load_villages(rows) -> tuple[int, int]:
    districts = set(District.objects.values_list("pk", flat=True))
    return load_areas(Village, "district_id", districts, rows, "villages.csv")


def load_region_points(rows) -> tuple[int, int]:
    """The regions' reference points (~26,000 rows without a code of their own): the table is read as
    tuples in one query, rows not in the file are deleted and missing ones inserted in bulk, so a
    repeated load writes nothing. Returns (created, deleted)."""
    regions = set(Region.objects.values_list("pk", flat=True))
    wanted = set()
    for line, row in enumerate(rows, start=2):
        if row["region_code"] not in regions:
            raise CommandError(f"region_points.csv baris {line}: wilayah {row['region_code']!r} tidak dikenal")
        wanted.add((row["region_code"], float(row["lat"]), float(row["lng"]), row["name"][:120], row["kind"]))
    existing = {}
    for pk, *key in RegionPoint.objects.values_list("pk", "region_id", "latitude", "longitude", "name", "kind"):
        existing.setdefault(tuple(key), []).append(pk)
    stale = [pk for key, pks in existing.items() for pk in (pks if key not in wanted else pks[1:])]
    for start in range(0, len(stale), BATCH):
        RegionPoint.objects.filter(pk__in=stale[start : start + BATCH]).delete()
    new = [
        RegionPoint(region_id=code, latitude=lat, longitude=lng, name=name, kind=kind)
        for code, lat, lng, name, kind in sorted(wanted - existing.keys())
    ]
    RegionPoint.objects.bulk_create(new, batch_size=BATCH)
    return len(new), len(stale)


def agency_rows() -> list[dict[str, str]]:
    """agencies.csv, then a government for every regency/city it does not list."""
    rows = read_csv(AGENCIES_CSV)
    return rows + regency_governments(rows)


def regency_governments(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Agency rows for the regency/city governments agencies.csv does not list, from regions.csv:
    "Kabupaten Aceh Selatan" → pemkab-aceh-selatan, "Kota Padang" → pemkot-padang (the codes of the
    pilot rows), under the province's government, in the province's time zone."""
    listed = {row["region_code"] for row in rows if row["kind"] == Agency.Kind.REGENCY}
    province_governments = {row["region_code"]: row["code"] for row in rows if row["kind"] == Agency.Kind.PROVINCE}
    generated = []
    for region in read_csv(REGIONS_CSV):
        if region["level"] != Region.Level.REGENCY or region["code"] in listed:
            continue
        kind, _space, place = region["name"].partition(" ")
        prefix = {"Kabupaten": "pemkab", "Kota": "pemkot"}.get(kind)
        parent = province_governments.get(region["parent_code"])
        if prefix is None or parent is None:
            raise CommandError(f"regions.csv: tidak dapat membuat pemerintah daerah untuk {region['name']!r}")
        generated.append(
            {
                "code": f"{prefix}-{slugify(place)}",
                "name": f"Pemerintah {region['name']}",
                "kind": Agency.Kind.REGENCY,
                "parent_code": parent,
                "region_code": region["code"],
                "answers_need_approval": "false",
            }
        )
    return generated


def load_agencies(rows) -> tuple[int, int]:
    """Agencies: ~700 rows. Existing ones are read in one query and saved (through Agency.save(),
    which maintains the materialized path) only when they changed; new ones are inserted in bulk,
    one level of the tree at a time, so a fresh database costs a few queries, not thousands.

    Returns (created, updated)."""
    regions = Region.objects.in_bulk()
    existing = Agency.objects.in_bulk(field_name="code")
    kinds = set(Agency.Kind.values)
    by_code, new, changes = {}, [], []
    for line, row in enumerate(rows, start=2):
        code = row["code"]
        if not code or code in by_code:
            raise CommandError(f"agencies.csv baris {line}: kode kosong atau ganda ({code!r})")
        if row["kind"] not in kinds:
            raise CommandError(f"agencies.csv baris {line}: jenis tidak dikenal {row['kind']!r}")
        approval = BOOLEANS.get(row["answers_need_approval"].lower())
        if approval is None:
            raise CommandError(f"agencies.csv baris {line}: answers_need_approval harus true/false")
        parent = None
        if row["parent_code"]:
            parent = by_code.get(row["parent_code"])
            if parent is None:
                raise CommandError(f"agencies.csv baris {line}: induk {row['parent_code']!r} belum didefinisikan")
        region = None
        if row["region_code"]:
            region = regions.get(row["region_code"])
            if region is None:
                raise CommandError(f"agencies.csv baris {line}: wilayah {row['region_code']!r} tidak dikenal")
        if region is not None:
            timezone = region.timezone
        elif parent is not None:
            timezone = parent.timezone
        else:
            timezone = DEFAULT_TIMEZONE
        values = {
            "name": row["name"],
            "kind": row["kind"],
            "parent": parent,
            "region": region,
            "timezone": timezone,
            "answers_need_approval": approval,
        }
        agency = existing.get(code)
        if agency is None:
            agency = Agency(code=code, **values)
            new.append(agency)
        else:
            changes.append((agency, values))
        by_code[code] = agency
    insert_tree(new)
    # After the inserts: an existing agency may have been moved under a new one.
    updated = sum(upsert(Agency, a.code, values, a, found=True)[2] for a, values in changes)
    return len(new), updated


def insert_tree(new: list[Agency]) -> None:
    """Insert new agencies in bulk, parents before children, then write their materialized paths."""
    placed = {id(agency) for agency in new}
    depth_of = {}
    for agency in new:  # parents precede children in the rows
        parent = agency.parent
        depth_of[id(agency)] = depth_of[id(parent)] + 1 if parent is not None and id(parent) in placed else 0
    for depth in sorted(set(depth_of.values())):
        level = [a for a in new if depth_of[id(a)] == depth]
        for agency in level:
            agency.parent = agency.parent  # take the parent's id, given by the previous level's insert
        Agency.objects.bulk_create(level, batch_size=500)
        for agency in level:
            prefix = agency.parent.path if agency.parent is not None else ""
            agency.path = f"{prefix}{agency.pk:07d}."
            agency.depth = agency.path.count(".") - 1
        Agency.objects.bulk_update(level, ["path", "depth"], batch_size=500)
