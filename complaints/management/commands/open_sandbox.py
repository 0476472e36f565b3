"""Open an agency's training sandbox (Bimtek): seats for its trainees and practice reports."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from complaints import sandbox as sandboxes


class Command(BaseCommand):
    help = (
        "Buka sandbox pelatihan (Bimtek) sebuah instansi: kursi peserta dan laporan latihan per kategori. "
        "Contoh: open_sandbox pemkab-badung --trainee latihan1@contoh.go.id:agency_admin "
        "--trainee latihan2@contoh.go.id:unit_admin:dinkes-badung"
    )

    def add_arguments(self, parser):
        parser.add_argument("agency", help="kode instansi")
        parser.add_argument("--name", default="", help="nama pelatihan")
        parser.add_argument(
            "--trainee",
            action="append",
            default=[],
            metavar="EMAIL:ROLE[:AGENCY]",
            help="peserta (akun dibuat bila belum ada); ROLE: " + ", ".join(sandboxes.SEAT_ROLES),
        )
        parser.add_argument("--per-category", type=int, default=1, help="laporan latihan per kategori utama")

    def handle(self, *args, **options):
        agency = Agency.objects.filter(code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"Instansi {options['agency']!r} tidak ditemukan.")
        User = get_user_model()
        seats, created = [], []
        for spec in options["trainee"]:
            email, _, rest = spec.partition(":")
            role, _, seat_code = rest.partition(":")
            seat_agency = agency
            if seat_code:
                seat_agency = Agency.objects.filter(code=seat_code).first()
                if seat_agency is None:
                    raise CommandError(f"Instansi {seat_code!r} tidak ditemukan.")
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                password = secrets.token_urlsafe(12)
                user = User.objects.create_user(email=email, password=password, full_name=email.split("@")[0])
                created.append((email, password))
            seats.append((user, role or "agency_admin", seat_agency))
        try:
            sandbox = sandboxes.open_sandbox(
                agency,
                name=options["name"] or f"Bimtek {agency.name}",
                seats=seats,
                per_category=options["per_category"],
            )
        except sandboxes.SandboxError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Sandbox {sandbox.name!r} dibuka: {sandbox.reports.count()} laporan latihan, "
                f"{sandbox.seats.count()} kursi peserta."
            )
        )
        for email, password in created:
            self.stdout.write(f"  akun baru {email}  kata sandi {password}  (verifikasi dua langkah saat masuk)")
