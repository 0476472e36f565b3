"""Demo data: citizens, staff in every role, and reports in every status with their history.

    python manage.py seed_demo [--reports 64]

Idempotent: accounts are created once, and reports only when the demo citizens have none yet.
Every report is filed and moved through complaints.workflow with the clock set back in time,
so timelines, clocks and notifications are the real thing.
"""

import datetime as dt
import random
from decimal import Decimal

import time_machine
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts import otp
from accounts.models import User
from agencies.models import Agency, Membership, Region, RegionPoint
from complaints import seed_text, workflow
from complaints.models import Category, Report, ResponseTemplate, Status

PASSWORD = "lapor-demo"
Role = Membership.Role

# (e-mail, full name, agency code or None, role or None)
ACCOUNTS = [
    ("admin@lapor.test", "Admin Nasional LAPOR!", "kemenpanrb", Role.NATIONAL_ADMIN),
    ("badung@lapor.test", "Admin Pemkab Badung", "pemkab-badung", Role.AGENCY_ADMIN),
    ("dinkes.badung@lapor.test", "Admin Dinkes Badung", "dinkes-badung", Role.UNIT_ADMIN),
    ("penghubung.badung@lapor.test", "Pejabat Penghubung Dinkes Badung", "dinkes-badung", Role.LIAISON_OFFICER),
    ("pimpinan.badung@lapor.test", "Bupati Badung (Pimpinan)", "pemkab-badung", Role.HEAD),
    ("bali@lapor.test", "Admin Pemprov Bali", "pemprov-bali", Role.AGENCY_ADMIN),
    ("sleman@lapor.test", "Admin Pemkab Sleman", "pemkab-sleman", Role.AGENCY_ADMIN),
    ("tangerang@lapor.test", "Admin Pemkot Tangerang", "pemkot-tangerang", Role.AGENCY_ADMIN),
    ("sumbar@lapor.test", "Admin Pemprov Sumatera Barat", "pemprov-sumbar", Role.AGENCY_ADMIN),
    ("sekadau@lapor.test", "Admin Pemkab Sekadau", "pemkab-sekadau", Role.AGENCY_ADMIN),
    ("ombudsman@lapor.test", "Pengawas Ombudsman RI", "ombudsman", Role.SUPERVISOR),
    ("developer.badung@lapor.test", "Developer Pemkab Badung", "pemkab-badung", Role.DEVELOPER),
    ("warga@lapor.test", "Made Wirawan", None, None),
    ("siti@lapor.test", "Siti Rahmawati", None, None),
    ("budi@lapor.test", "Budi Santoso", None, None),
    ("yohana@lapor.test", "Yohana Kambu", None, None),
]
# The agency in training (a sandbox of practice reports) and who trains there.
TRAINING_AGENCY = "pemkab-sekadau"
TRAINEES = [
    ("latihan.sekadau@lapor.test", "Peserta Bimtek Pemkab Sekadau", "pemkab-sekadau", Role.AGENCY_ADMIN),
    ("latihan.dinkes.sekadau@lapor.test", "Peserta Bimtek Dinkes Sekadau", "dinkes-sekadau", Role.UNIT_ADMIN),
    ("sekadau@lapor.test", "Admin Pemkab Sekadau", "pemkab-sekadau", Role.AGENCY_ADMIN),
]
CITIZENS = ["warga@lapor.test", "siti@lapor.test", "budi@lapor.test", "yohana@lapor.test"]
PHONES = {"warga@lapor.test": "081234567801", "siti@lapor.test": "081234567802", "budi@lapor.test": "081234567803"}

# Where a report goes, by the kind of problem: (addressed agency, handling OPD, regency code).
TARGETS = {
    "health": ("pemkab-badung", "dinkes-badung", "51.03"),
    "roads": ("pemkab-badung", "dinas-pupr-badung", "51.03"),
    "school": ("pemkab-sleman", "disdik-sleman", "34.04"),
    "civil": ("pemkot-tangerang", "disdukcapil-kota-tangerang", "36.71"),
    "bridges": ("pemprov-sumbar", "dinas-pupr-prov-sumbar", "13.71"),
    "sekadau": ("pemkab-sekadau", None, "61.09"),
    "national": (None, "pemkab-badung", "51.03"),
}

# A demo report's pin: near one of its regency's GeoNames towns (agencies/data/region_points.csv.gz),
# within PIN_SPREAD degrees (about 400 m) each way; every PIN_NONE-th report has no pin (filed by region).
PIN_SPREAD = 0.004
PIN_NONE = 5

# (target, category code, title, body): each story fits its category, so that duplicate suggestions
# and the routing model (complaints.routing_model) meet realistic text; the first filing of a story
# uses these words, the later ones (other citizens, the same problem) their own (seed_text.story).
STORIES = [
    (
        "roads",
        "infrastruktur-jalan",
        "Jalan berlubang di Jalan Raya Mengwi",
        "Sudah tiga minggu ada lubang besar di depan pasar. Dua pengendara motor jatuh minggu lalu. "
        "Mohon segera diperbaiki sebelum musim hujan.",
    ),
    (
        "health",
        "kesehatan-puskesmas",
        "Antrean puskesmas sangat panjang",
        "Setiap pagi antrean di puskesmas mengular sampai ke jalan. Petugas pendaftaran hanya satu "
        "orang. Mohon ditambah loket atau sistem antrean daring.",
    ),
    (
        "school",
        "pendidikan-pungutan",
        "Pungutan uang seragam di sekolah negeri",
        "Anak saya diminta membayar Rp750.000 untuk seragam dan buku di SMP negeri. Apakah pungutan ini sesuai aturan?",
    ),
    (
        "civil",
        "kependudukan-ktp",
        "KTP elektronik belum jadi setelah 3 bulan",
        "Saya sudah rekam data KTP-el sejak tiga bulan lalu, tetapi setiap kali ke kantor dukcapil "
        "dijawab blangko habis.",
    ),
    (
        "roads",
        "infrastruktur-penerangan",
        "Usulan penambahan lampu penerangan jalan",
        "Jalan menuju desa kami gelap gulita pada malam hari. Kami mengusulkan pemasangan lampu "
        "penerangan jalan umum sepanjang 1 km.",
    ),
    (
        "bridges",
        "infrastruktur-jembatan",
        "Jembatan gantung rusak membahayakan anak sekolah",
        "Papan jembatan gantung banyak yang lapuk. Anak-anak sekolah setiap hari melintas. Mohon segera diperbaiki.",
    ),
    (
        "roads",
        "infrastruktur-drainase",
        "Saluran air tersumbat menyebabkan banjir",
        "Setiap hujan deras, saluran air di perumahan kami meluap karena tersumbat sampah. Rumah "
        "warga tergenang hingga 30 cm.",
    ),
    (
        "health",
        "kesehatan-bpjs",
        "Klaim BPJS ditolak rumah sakit",
        "Ibu saya peserta BPJS aktif tetapi diminta membayar obat sendiri saat rawat inap. Mohon "
        "penjelasan dan tindak lanjut.",
    ),
    (
        "school",
        "pendidikan-ppdb",
        "Zonasi PPDB tidak transparan",
        "Anak saya tinggal 300 meter dari SMP negeri tetapi tidak diterima lewat jalur zonasi, sementara "
        "tetangga yang lebih jauh diterima. Mohon daftar penerimaan diumumkan.",
    ),
    (
        "sekadau",
        "lingkungan-sampah",
        "Sampah menumpuk di TPS pasar",
        "Sampah di TPS pasar tidak diangkut selama seminggu dan menimbulkan bau serta lalat.",
    ),
    (
        "civil",
        "kependudukan-akta",
        "Pelayanan akta kelahiran dipungut biaya",
        "Petugas kelurahan meminta uang Rp200.000 untuk mempercepat akta kelahiran, padahal layanan ini gratis.",
    ),
    (
        "health",
        "kesehatan-rumah-sakit",
        "Ruang IGD rumah sakit daerah penuh",
        "Pasien kecelakaan harus menunggu di lorong karena ruang IGD penuh dan dokter jaga hanya satu.",
    ),
    (
        "bridges",
        "infrastruktur-jalan",
        "Jalan provinsi longsor di Lembah Anai",
        "Badan jalan provinsi amblas sebagian setelah hujan deras; kendaraan harus antre bergantian. "
        "Mohon dipasang rambu dan segera diperbaiki.",
    ),
    (
        "national",
        "lingkungan-rth",
        "Aspirasi: taman bermain ramah anak",
        "Warga mengusulkan lahan kosong milik pemda dijadikan taman bermain ramah anak dan ruang terbuka hijau.",
    ),
]

# The workflow path to each status, as (action, actor key) steps after submission.
PATHS = {
    Status.SUBMITTED: [],
    Status.ON_HOLD: [("hold", "verifier")],
    Status.VERIFIED: [("verify", "verifier")],
    Status.DISPATCHED: [("verify", "verifier"), ("dispatch", "verifier")],
    Status.IN_PROGRESS: [("verify", "verifier"), ("dispatch", "verifier"), ("follow_up", "handler")],
    Status.RETURNED: [("verify", "verifier"), ("dispatch", "verifier"), ("return", "handler")],
    Status.RESPONDED: [
        ("verify", "verifier"),
        ("dispatch", "verifier"),
        ("follow_up", "handler"),
        ("respond", "answerer"),
    ],
    Status.COMPLETED: [
        ("verify", "verifier"),
        ("dispatch", "verifier"),
        ("follow_up", "handler"),
        ("respond", "answerer"),
        ("accept", "citizen"),
    ],
    Status.ARCHIVED: [("archive", "verifier")],
    Status.REMOVED: [("remove", "national")],
    # Into an earlier report of the same story (the same problem filed again).
    Status.MERGED: [("verify", "verifier"), ("merge", "verifier")],
}


MAIN_REFUSED = (Status.MERGED, Status.REMOVED)


class Command(BaseCommand):
    help = "Mengisi data demo: warga, staf di setiap peran, dan laporan di setiap status."

    def add_arguments(self, parser):
        parser.add_argument("--reports", type=int, default=64)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **options):
        if not Agency.objects.filter(code="pemkab-badung").exists():
            self.stderr.write("Jalankan `manage.py load_reference` terlebih dahulu.")
            return
        users = self.accounts()
        self.templates()
        self.training()
        if Report.objects.filter(reporter__email__in=CITIZENS).exists():
            self.stdout.write(self.style.SUCCESS("Data demo sudah ada; tidak ada yang ditambahkan."))
            return
        rng = random.Random(options["seed"])
        # The pins draw from a generator of their own, so the rest of the demo is what it was without them.
        pins = random.Random(options["seed"] + 1)
        # The demo's history is not news: its notifications stay on the site instead of flooding the mailbox.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            created = self.reports(users, options["reports"], rng, pins)
        self.stdout.write(self.style.SUCCESS(f"Akun demo: {len(users)}, laporan demo: {created}"))

    def accounts(self) -> dict[str, User]:
        users = {}
        for email, name, agency_code, role in ACCOUNTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email,
                    PASSWORD,
                    full_name=name,
                    phone=PHONES.get(email, ""),
                    is_staff=role is not None,
                    email_verified=True,
                    is_superuser=role == Role.NATIONAL_ADMIN,
                )
            if role is not None:
                Membership.objects.get_or_create(user=user, agency=Agency.objects.get(code=agency_code), role=role)
                otp.give_demo_device(user)  # staff log in with the published demo code (README)
            users[email] = user
        return users

    def training(self):
        """Sekadau is in training (Bimtek): its sandbox, a trainee account at the regency and one at its
        health department, and Sekadau's real admin beside them (README)."""
        from agencies.models import Sandbox
        from complaints import sandbox

        agency = Agency.objects.get(code=TRAINING_AGENCY)
        if Sandbox.objects.filter(agency=agency).exists():
            return
        seats = []
        for email, name, agency_code, role in TRAINEES:
            user = User.objects.filter(email=email).first() or User.objects.create_user(
                email, PASSWORD, full_name=name, is_staff=True, email_verified=True
            )
            otp.give_demo_device(user)
            seats.append((user, role, Agency.objects.get(code=agency_code)))
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            sandbox.open_sandbox(agency, name="Bimtek Pengelola Pengaduan Kabupaten Sekadau", seats=seats)

    def templates(self):
        dinkes = Agency.objects.get(code="dinkes-badung")
        for title, body in [
            (
                "Sudah ditindaklanjuti",
                "Terima kasih atas laporan Anda. Petugas kami sudah meninjau dan menindaklanjuti masalah ini.",
            ),
            (
                "Perlu data tambahan",
                "Mohon lengkapi nama fasilitas kesehatan, tanggal, dan jam kejadian agar dapat kami telusuri.",
            ),
        ]:
            ResponseTemplate.objects.get_or_create(agency=dinkes, title=title, defaults={"body": body})

    @transaction.atomic
    def pin(self, regency, towns: dict, i: int, pins) -> dict:
        """latitude/longitude for report number i: near a town of its regency, or none (every PIN_NONE-th,
        or a regency without reference points). Anonim ones are coarsened where the public sees them and
        Rahasia ones never shown there, by the same rules as every report (complaints.places)."""
        if regency.pk not in towns:
            points = RegionPoint.objects.filter(region=regency)
            towns[regency.pk] = list(points.filter(kind="town").values_list("latitude", "longitude")) or list(
                points.values_list("latitude", "longitude")
            )
        if i % PIN_NONE == PIN_NONE - 1 or not towns[regency.pk]:
            return {}
        lat, lng = pins.choice(towns[regency.pk])
        return {
            "latitude": Decimal(f"{lat + pins.uniform(-PIN_SPREAD, PIN_SPREAD):.6f}"),
            "longitude": Decimal(f"{lng + pins.uniform(-PIN_SPREAD, PIN_SPREAD):.6f}"),
        }

    def reports(self, users, count, rng, pins) -> int:
        statuses = list(PATHS)
        classifications = ["complaint", "complaint", "aspiration", "information"]
        national = users["admin@lapor.test"]
        now = timezone.now()
        filed: dict[int, list[Report]] = {}
        towns: dict[str, list] = {}
        for i in range(count):
            status = statuses[i % len(statuses)]
            story = i % len(STORIES)
            target, category_code, title, body = STORIES[story]
            addressed_code, handler_code, regency_code = TARGETS[target]
            district = rng.choice(["", "Kuta", "Mengwi", "Depok"])
            if story in filed:
                # The same problem filed again by someone else: in their own words (complaints/seed_text.py).
                title, body = seed_text.story(
                    rng,
                    category_code,
                    regency=Region.objects.get(code=regency_code).name,
                    district=district,
                    drift=False,
                )
            addressed = Agency.objects.filter(code=addressed_code).first() if addressed_code else None
            handler = self.handler(handler_code, addressed)
            regency = Region.objects.get(code=regency_code)
            category = Category.objects.get(code=category_code)
            citizen = users[CITIZENS[i % len(CITIZENS)]]
            start = now - dt.timedelta(days=75 - i, hours=rng.randint(0, 8))
            actors = {
                "verifier": self.admin_of(addressed, users) or national,
                "national": national,
                "handler": self.staff_of(handler, users) or national,
                "answerer": self.staff_of(handler, users, answer=True) or national,
                "citizen": citizen,
            }
            with time_machine.travel(start, tick=False):
                report = workflow.submit(
                    by=citizen,
                    classification=classifications[i % 4],
                    title=title,
                    body=body,
                    event_date=(start - dt.timedelta(days=rng.randint(1, 10))).date(),
                    province=regency.parent,
                    regency=regency,
                    category=category,
                    suggested_agency=addressed,
                    district=district,
                    is_anonymous=i % 4 == 1,
                    is_confidential=i % 7 == 3,
                    channel="web" if i % 6 else "mobile",
                    **self.pin(regency, towns, i, pins),
                )
            earlier = [r for r in filed.get(story, []) if r.status not in MAIN_REFUSED and not r.is_confidential]
            filed.setdefault(story, []).append(report)
            moment = start
            for action, actor_key in PATHS[status]:
                moment += dt.timedelta(days=rng.randint(1, 4), hours=rng.randint(1, 6))
                with time_machine.travel(min(moment, now), tick=False):
                    if action == "merge":
                        main = earlier[-1] if earlier else self.any_main(report)
                        workflow.merge(report, by=national, into=main)
                    else:
                        self.act(report, action, actors[actor_key], handler, rng)
        return count

    def any_main(self, report):
        """A report to merge into when the story was not filed before: the newest open public one."""
        return (
            Report.objects.not_confidential()
            .exclude(pk=report.pk)
            .exclude(status__in=MAIN_REFUSED)
            .filter(merged_into__isnull=True)
            .order_by("-pk")
            .first()
        )

    def handler(self, code, addressed):
        return Agency.objects.get(code=code) if code else addressed or Agency.objects.get(code="pemkab-badung")

    def admin_of(self, agency, users):
        if agency is None:
            return None
        m = (
            Membership.objects.filter(agency__in=agency.ancestors() + [agency], role=Role.AGENCY_ADMIN)
            .order_by("-agency__depth")
            .first()
        )
        return m.user if m else None

    def staff_of(self, agency, users, answer=False):
        roles = [Role.AGENCY_ADMIN] if answer else [Role.UNIT_ADMIN, Role.AGENCY_ADMIN]
        for role in roles:
            m = (
                Membership.objects.filter(agency__in=agency.ancestors() + [agency], role=role)
                .order_by("-agency__depth")
                .first()
            )
            if m:
                return m.user
        return None

    def act(self, report, action, actor, handler, rng):
        notes = {
            "hold": "Mohon lengkapi lokasi persis dan foto kejadian.",
            "follow_up": "Laporan sudah kami terima dan petugas dijadwalkan meninjau lokasi minggu ini.",
            "respond": "Petugas telah meninjau lokasi dan perbaikan sudah dilakukan. Terima kasih atas laporan Anda.",
            "return": "Lokasi berada di luar kewenangan kami; mohon didisposisikan ke instansi terkait.",
        }
        if action == "verify":
            workflow.verify(
                report, by=actor, complaint_kind="normative" if report.classification == "complaint" else ""
            )
        elif action == "dispatch":
            workflow.dispatch(report, by=actor, to_agency=handler)
        elif action == "return":
            workflow.return_report(report, by=actor, reason=notes[action])
        elif action == "accept":
            workflow.accept(
                report, by=actor, rating=rng.choice([3, 4, 4, 5, 5]), comment="Terima kasih, sudah ditangani."
            )
        elif action == "archive":
            workflow.archive(report, by=actor, reason="out_of_scope", note="Bukan lingkup pelayanan publik.")
        elif action == "remove":
            workflow.remove(report, by=actor, reason="duplicate", note="Duplikat laporan lain.")
        else:
            workflow.ACTION_FUNCTIONS[action](report, by=actor, note=notes[action])
