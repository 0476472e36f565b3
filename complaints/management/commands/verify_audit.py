"""Prove the audit trail's hash chains (events, identity accesses, staff appointments) intact:
exit 1 at the first break."""

from django.core.management.base import BaseCommand, CommandError

from lapor import audit


class Command(BaseCommand):
    help = "Periksa rantai hash riwayat laporan dan akses identitas pelapor; gagal pada baris pertama yang diubah."

    def handle(self, *args, **options):
        failed = []
        for chain in audit.CHAINS:
            result = audit.verify(chain)
            line = f"{chain}: {result.checked} rows verified"
            if result.unsealed:
                line += f", {result.unsealed} rows without a hash (bulk-loaded, not covered)"
            if result.ok:
                self.stdout.write(self.style.SUCCESS(f"{line}: OK"))
            else:
                self.stdout.write(self.style.ERROR(f"{line}: BROKEN"))
                for error in result.errors:
                    self.stdout.write(self.style.ERROR(f"  {error}"))
                failed.append(chain)
        if failed:
            raise CommandError(f"audit chain broken: {', '.join(failed)}")
