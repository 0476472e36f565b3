"""Count the reports per status again into the workflow's counters (complaints/status_counts.py):
after a bulk load or a repair done in SQL.

    python manage.py rebuild_status_counts
"""

from django.core.management.base import BaseCommand

from complaints import status_counts


class Command(BaseCommand):
    help = "Menghitung ulang jumlah laporan per status (antrean Admin Nasional)."

    def handle(self, *args, **options):
        counts = status_counts.rebuild()
        self.stdout.write(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "0")
