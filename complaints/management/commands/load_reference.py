"""Load the reference data: regions, complaint categories and the starter agency tree.

    python manage.py load_reference

Reads agencies/data/regions.csv, complaints/data/categories.csv and
agencies/data/agencies.csv and upserts them by code inside one transaction.
Running it again changes nothing unless a CSV changed; rows that exist only in
the database (added by an admin) are left alone. The loaders live with their
models (agencies/reference.py, complaints/reference.py); this command sits in
the complaints app because it is the one that knows both.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from agencies.reference import AGENCIES_CSV, REGIONS_CSV, load_agencies, load_regions, read_csv
from complaints.reference import CATEGORIES_CSV, load_categories


class Command(BaseCommand):
    help = "Memuat data referensi: wilayah (Kemendagri), kategori laporan dan pohon instansi awal."

    def handle(self, *args, **options):
        steps = [
            ("Wilayah", load_regions, REGIONS_CSV),
            ("Kategori", load_categories, CATEGORIES_CSV),
            ("Instansi", load_agencies, AGENCIES_CSV),
        ]
        counts, stats = {}, {}
        with transaction.atomic():
            for label, load, path in steps:
                rows = read_csv(path)
                stats[label] = load(rows)
                counts[label] = len(rows)
        if options["verbosity"] >= 2:
            for label, (created, updated) in stats.items():
                self.stdout.write(f"{label}: {created} baru, {updated} diperbarui")
        self.stdout.write(self.style.SUCCESS(", ".join(f"{label}: {n}" for label, n in counts.items())))
