"""Load the reference data: regions, complaint categories and the starter agency tree.

    python manage.py load_reference

Reads agencies/data/regions.csv, complaints/data/categories.csv and
agencies/data/agencies.csv and upserts them by code inside one transaction.
Running it again changes nothing unless a CSV changed; rows that exist only in
the database (added by an admin) are left alone.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agencies.models import Agency, Region
from complaints.models import Category

AGENCIES_DATA = Path(__file__).resolve().parents[2] / "data"
COMPLAINTS_DATA = Path(__file__).resolve().parents[3] / "complaints" / "data"

REGIONS_CSV = AGENCIES_DATA / "regions.csv"
CATEGORIES_CSV = COMPLAINTS_DATA / "categories.csv"
AGENCIES_CSV = AGENCIES_DATA / "agencies.csv"

DEFAULT_TIMEZONE = "Asia/Jakarta"
BOOLEANS = {"true": True, "false": False}


def read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(fh)]
    except FileNotFoundError as exc:
        raise CommandError(f"{path} tidak ditemukan") from exc


class Command(BaseCommand):
    help = "Memuat data referensi: wilayah (Kemendagri), kategori laporan dan pohon instansi awal."

    def handle(self, *args, **options):
        self.stats = {}
        with transaction.atomic():
            regions = self.load_regions(read_csv(REGIONS_CSV))
            categories = self.load_categories(read_csv(CATEGORIES_CSV))
            agencies = self.load_agencies(read_csv(AGENCIES_CSV))
        if options["verbosity"] >= 2:
            for label, (created, updated) in self.stats.items():
                self.stdout.write(f"{label}: {created} baru, {updated} diperbarui")
        self.stdout.write(self.style.SUCCESS(f"Wilayah: {regions}, Kategori: {categories}, Instansi: {agencies}"))

    # Regions: ~550 rows, natural primary key, so diff against the table and write in bulk.
    def load_regions(self, rows):
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
        self.stats["Wilayah"] = (len(to_create), len(to_update))
        return len(rows)

    def load_categories(self, rows):
        by_code, created, updated = {}, 0, 0
        for position, row in enumerate(rows, start=1):
            code = row["code"]
            if not code or code in by_code:
                raise CommandError(f"categories.csv baris {position + 1}: kode kosong atau ganda ({code!r})")
            parent = None
            if row["parent_code"]:
                parent = by_code.get(row["parent_code"])
                if parent is None:
                    raise CommandError(
                        f"categories.csv baris {position + 1}: induk {row['parent_code']!r} belum didefinisikan"
                    )
            values = {
                "name": row["name"],
                "name_en": row["name_en"],
                "parent": parent,
                "position": position,
            }
            category, was_created, was_updated = upsert(Category, code, values)
            created += was_created
            updated += was_updated
            by_code[code] = category
        self.stats["Kategori"] = (created, updated)
        return len(rows)

    # Agencies: saved one by one through Agency.save(), which maintains the materialized path.
    def load_agencies(self, rows):
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
        self.stats["Instansi"] = (created, updated)
        return len(rows)


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
