"""Write the handling rows' status, due time and practice flag again from their reports where they differ
(ReportAgency.status, .due_at, .is_practice: what the staff scope and the agency queue tabs read): after a
bulk load, a repair done in SQL, or once after deploying migration 0030 while the old code still ran.

    python manage.py sync_handling_rows [--batch 50000]
"""

from django.core.management.base import BaseCommand

from complaints.models import ReportAgency


class Command(BaseCommand):
    help = "Menyelaraskan status, tenggat, dan tanda latihan baris instansi penangan dengan laporannya."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=50_000)

    def handle(self, *args, batch, **options):
        written = ReportAgency.objects.sync_from_reports(batch)
        self.stdout.write(f"{written}")
