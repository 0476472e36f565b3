"""Print the demo staff accounts' current second-factor code (the published demo secret)."""

from django.core.management.base import BaseCommand

from accounts import otp


class Command(BaseCommand):
    help = "Kode verifikasi dua langkah akun petugas demo saat ini (rahasia demo yang dipublikasikan)."

    def handle(self, *args, **options):
        self.stdout.write(otp.demo_code())
