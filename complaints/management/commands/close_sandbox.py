"""Close an agency's training sandbox: delete it whole (practice reports, their steps, the seats)."""

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from complaints import sandbox as sandboxes


class Command(BaseCommand):
    help = "Tutup sandbox pelatihan sebuah instansi dan hapus seluruh isinya."

    def add_arguments(self, parser):
        parser.add_argument("agency", help="kode instansi")

    def handle(self, *args, **options):
        agency = Agency.objects.filter(code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"Instansi {options['agency']!r} tidak ditemukan.")
        try:
            n = sandboxes.close_sandbox(agency)
        except sandboxes.SandboxError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Sandbox {agency.name} ditutup: {n} laporan latihan dihapus."))
