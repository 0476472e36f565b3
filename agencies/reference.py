"""Reference data of the agencies app: regions (Kemendagri) and the starter agency tree.

Read from agencies/data/*.csv and upserted by code; running it again changes nothing unless a CSV
changed, and rows that exist only in the database (added by an admin) are left alone. The
`load_reference` command (complaints app) loads these and the complaint categories in one
transaction.
"""

import csv
from pathlib import Path

from django.core.management.base import CommandError

from .models import Agency, Region

DATA = Path(__file__).resolve().parent / "data"
REGIONS_CSV = DATA / "regions.csv"
AGENCIES_CSV = DATA / "agencies.csv"

DEFAULT_TIMEZONE = "Asia/Jakarta"
BOOLEANS = {"true": True, "false": False}


def read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(fh)]
    except FileNotFoundError as exc:
        raise CommandError(f"{path} tidak ditemukan") from exc


def upsert(model, code, values):
    """Create or update by code with a full save() (never save(update_fields=...)), writing only on change.

    A full save matters for Agency: its save() recomputes the materialized path, which a
    save(update_fields=[...]) as done by update_or_create() would not write when the parent changes.
    """
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
    fields = ("name", "level", "parent_id", "timezone")
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


def load_agencies(rows) -> tuple[int, int]:
    """Agencies: saved one by one through Agency.save(), which maintains the materialized path.

    Returns (created, updated)."""
    regions = Region.objects.in_bulk()
    kinds = set(Agency.Kind.values)
    by_code, created, updated = {}, 0, 0
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
        agency, was_created, was_updated = upsert(Agency, code, values)
        created += was_created
        updated += was_updated
        by_code[code] = agency
    return created, updated
