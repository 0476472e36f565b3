"""Load the reference data: regions, districts and villages, complaint categories, the starter agency tree with a
government for every regency/city, and the default routing rules.

    python manage.py load_reference

Reads agencies/data/regions.csv, districts.csv.gz, villages.csv.gz, complaints/data/categories.csv,
agencies/data/agencies.csv and complaints/data/routing.csv inside one transaction.
Regions, districts, villages, categories and agencies are upserted by code; routing rules
missing from the database are created (an admin's change is kept).
Running it again changes nothing unless a CSV changed; rows that exist only in
the database (added by an admin) are left alone. The loaders live with their
models (agencies/reference.py, complaints/reference.py); this command sits in
the complaints app because it is the one that knows both.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from agencies.reference import (
    DISTRICTS_CSV,
    POINTS_CSV,
    REGIONS_CSV,
    VILLAGES_CSV,
    agency_rows,
    load_agencies,
    load_districts,
    load_region_points,
    load_regions,
    load_villages,
    read_csv,
)
from complaints.reference import CATEGORIES_CSV, ROUTING_CSV, load_categories, load_routing
from lapor import refcache


class Command(BaseCommand):
    help = (
        "Memuat data referensi: wilayah, kecamatan dan kelurahan/desa (Kemendagri), kategori laporan, "
        "pohon instansi awal dan aturan disposisi."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-areas",
            action="store_true",
            help=(
                "Tanpa titik wilayah, kecamatan dan kelurahan/desa "
                "(untuk uji yang memuat ulang setelah tabel dikosongkan)."
            ),
        )

    def handle(self, *args, **options):
        areas = [
            ("Titik wilayah", load_region_points, lambda: read_csv(POINTS_CSV)),
            ("Kecamatan", load_districts, lambda: read_csv(DISTRICTS_CSV)),
            ("Kelurahan/desa", load_villages, lambda: read_csv(VILLAGES_CSV)),
        ]
        steps = [
            ("Wilayah", load_regions, lambda: read_csv(REGIONS_CSV)),
            *([] if options["without_areas"] else areas),
            ("Kategori", load_categories, lambda: read_csv(CATEGORIES_CSV)),
            ("Instansi", load_agencies, agency_rows),
            ("Aturan disposisi", load_routing, lambda: read_csv(ROUTING_CSV)),
        ]
        counts, stats = {}, {}
        with transaction.atomic():
            for label, load, read in steps:
                rows = read()
                stats[label] = load(rows)
                counts[label] = len(rows)
        refcache.bump()  # bulk writes send no signals
        if options["verbosity"] >= 2:
            for label, (created, updated) in stats.items():
                self.stdout.write(f"{label}: {created} baru, {updated} diperbarui")
        self.stdout.write(self.style.SUCCESS(", ".join(f"{label}: {n}" for label, n in counts.items())))
