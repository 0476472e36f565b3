"""Training sandboxes (Bimtek): practice reports an agency's trainees verify, dispatch, answer and
escalate in the real admin, and that nobody else ever sees.

A sandbox (agencies.Sandbox) belongs to one agency; its trainees hold TrainingSeats (a role at an
agency of that agency's subtree) that count for its practice reports only (access.roles_for,
access.staff_reports). Practice reports carry Report.sandbox: Report.objects.public() and real()
leave them out, and so every public page, statistic, open-data file, Open311 answer, API feed and
export of everyone else; their events reach no webhook, messaging channel or citizen
(notifications.notify_event) and are not sealed into the audit trail, so that `close` can delete
the sandbox whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Region, Role, Sandbox, TrainingSeat

from . import workflow
from .models import Attachment, Category, Classification

User = get_user_model()

# Roles a trainee may practise (the sandbox's agency admin verifies and dispatches, unit admins
# answer, the liaison officer approves, the head reads).
SEAT_ROLES = (Role.AGENCY_ADMIN, Role.UNIT_ADMIN, Role.LIAISON_OFFICER, Role.HEAD)

PRACTICE_REPORTER = "Warga Latihan (fiktif)"

# One realistic practice case per top-level category: (title, body); {sub} is the sub-category.
STORIES: dict[str, tuple[str, str]] = {
    "kesehatan": (
        "Pasien menunggu lama di {sub}",
        "Ibu saya menunggu lebih dari empat jam tanpa kepastian jadwal. Petugas tidak memberi informasi "
        "nomor antrean. Mohon perbaikan sistem antrean.",
    ),
    "pendidikan": (
        "Pungutan tanpa dasar di sekolah ({sub})",
        "Orang tua murid diminta membayar Rp350.000 untuk kegiatan yang tidak jelas. Tidak ada kuitansi "
        "dan tidak ada rapat komite sebelumnya.",
    ),
    "infrastruktur": (
        "Jalan rusak dan berlubang ({sub})",
        "Lubang sedalam 20 cm di depan pasar desa sudah tiga minggu tidak diperbaiki. Dua pengendara "
        "motor terjatuh minggu lalu.",
    ),
    "lingkungan": (
        "Sampah menumpuk di tepi sungai ({sub})",
        "Tumpukan sampah rumah tangga di bantaran sungai berbau dan menyumbat aliran air. Warga khawatir "
        "banjir saat musim hujan.",
    ),
    "kependudukan": (
        "KTP elektronik belum jadi ({sub})",
        "Saya merekam data KTP-el tiga bulan lalu dan hingga kini belum dicetak. Setiap datang ke kantor "
        "hanya diminta menunggu.",
    ),
    "ketertiban": (
        "Pedagang menutup trotoar ({sub})",
        "Lapak pedagang menutup seluruh trotoar sehingga pejalan kaki dan anak sekolah harus berjalan di badan jalan.",
    ),
    "perhubungan": (
        "Lampu lalu lintas mati ({sub})",
        "Lampu lalu lintas di simpang empat mati sejak Senin. Kendaraan saling serobot dan hampir terjadi "
        "tabrakan setiap pagi.",
    ),
    "sosial": (
        "Bantuan sosial tidak tepat sasaran ({sub})",
        "Tetangga kami yang lansia dan tidak bekerja tidak lagi menerima bantuan, sementara keluarga mampu "
        "masih terdaftar.",
    ),
    "ketenagakerjaan": (
        "Upah di bawah UMK ({sub})",
        "Pekerja di pabrik kami dibayar di bawah upah minimum kabupaten dan tidak didaftarkan BPJS Ketenagakerjaan.",
    ),
    "pajak-keuangan": (
        "Tagihan PBB ganda ({sub})",
        "Saya menerima dua tagihan PBB untuk bidang tanah yang sama dengan nomor objek pajak berbeda.",
    ),
    "pertanahan": (
        "Sertifikat tanah tak kunjung terbit ({sub})",
        "Berkas permohonan sertifikat sudah lengkap sejak delapan bulan lalu, tetapi belum ada kabar pengukuran.",
    ),
    "energi": (
        "Listrik sering padam ({sub})",
        "Listrik di dusun kami padam hampir setiap malam selama dua minggu tanpa pemberitahuan.",
    ),
    "pelayanan-publik": (
        "Pelayanan izin berbelit ({sub})",
        "Pengurusan izin usaha mikro diminta kembali berkali-kali dengan syarat yang berbeda setiap kali.",
    ),
    "korupsi": (
        "Dugaan pungutan liar ({sub})",
        "Petugas meminta uang pelicin Rp100.000 agar berkas diproses lebih cepat. Kejadian di loket "
        "pelayanan pada pagi hari.",
    ),
    "bencana": (
        "Tanggul retak menjelang musim hujan ({sub})",
        "Tanggul sungai di dekat permukiman retak sepanjang lima meter. Warga khawatir jebol bila hujan deras.",
    ),
    "agama": (
        "Antrean pendaftaran nikah ({sub})",
        "Pendaftaran nikah di kantor urusan agama hanya dilayani dua hari seminggu sehingga antrean sangat panjang.",
    ),
    "lainnya": (
        "Keluhan pelayanan ({sub})",
        "Petugas loket bersikap tidak ramah dan tidak menjelaskan alur pelayanan kepada warga lanjut usia.",
    ),
}
CLASSIFICATIONS = [Classification.COMPLAINT, Classification.COMPLAINT, Classification.ASPIRATION,
                   Classification.INFORMATION]  # fmt: skip


class SandboxError(Exception):
    pass


def _region_of(agency: Agency) -> Region:
    """Where the practice cases happen: the agency's (or its nearest ancestor's) regency, else any."""
    for a in [agency, *reversed(agency.ancestors())]:
        if a.region_id and a.region.level == Region.Level.REGENCY:
            return a.region
        if a.region_id:
            regency = a.region.children.order_by("code").first()
            if regency is not None:
                return regency
    return Region.objects.filter(level=Region.Level.REGENCY).order_by("code").first()


@transaction.atomic
def open_sandbox(agency: Agency, *, name: str, by=None, seats: Iterable[tuple] = (), per_category: int = 1) -> Sandbox:
    """Open the agency's sandbox (one at a time), give `seats` ((user, role, agency) triples; the
    agency inside the sandbox agency's subtree) and file the first practice reports."""
    if Sandbox.objects.filter(agency=agency).exists():
        raise SandboxError(_("Instansi ini sudah memiliki sandbox pelatihan yang terbuka."))
    sandbox = Sandbox.objects.create(agency=agency, name=name, opened_by=by)
    for user, role, seat_agency in seats:
        add_seat(sandbox, user, role, seat_agency)
    generate_reports(sandbox, per_category=per_category)
    return sandbox


def add_seat(sandbox: Sandbox, user, role: str, agency: Agency | None = None) -> TrainingSeat:
    agency = agency or sandbox.agency
    if role not in SEAT_ROLES:
        raise SandboxError(_("Peran ini tidak dapat dilatihkan di sandbox."))
    if not agency.is_in_subtree_of(sandbox.agency):
        raise SandboxError(_("Peserta hanya dapat ditempatkan di instansi sandbox atau unit di bawahnya."))
    if not user.is_staff:  # a seat makes its holder staff: the admin and the second factor
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    seat, _created = TrainingSeat.objects.get_or_create(sandbox=sandbox, user=user, agency=agency, role=role)
    return seat


def generate_reports(sandbox: Sandbox, *, per_category: int = 1, now: dt.datetime | None = None) -> int:
    """File `per_category` practice reports for every active top-level category (each of one of its
    sub-categories, in turn), addressed to the sandbox's agency: they wait in its verification queue."""
    regency = _region_of(sandbox.agency)
    today = timezone.localdate(now) if now else timezone.localdate()
    count = 0
    tops = Category.objects.filter(parent__isnull=True, is_active=True).order_by("pk")
    for top in tops:
        subs = list(Category.objects.filter(parent=top, is_active=True).order_by("pk")) or [top]
        title, body = STORIES.get(top.code, STORIES["lainnya"])
        for i in range(per_category):
            sub = subs[i % len(subs)]
            workflow.submit(
                by=None,
                classification=CLASSIFICATIONS[count % len(CLASSIFICATIONS)],
                title=title.format(sub=sub.name),
                body=body,
                event_date=today - dt.timedelta(days=1 + count % 7),
                province=regency.parent,
                regency=regency,
                category=sub,
                suggested_agency=sandbox.agency,
                channel="web",
                reporter_name=PRACTICE_REPORTER,
                sandbox=sandbox,
            )
            count += 1
    return count


@transaction.atomic
def close_sandbox(agency: Agency) -> int:
    """Delete the agency's sandbox whole: its practice reports (with their steps, clocks, notes and
    notifications) and its seats. Returns the number of practice reports deleted."""
    sandbox = Sandbox.objects.filter(agency=agency).first()
    if sandbox is None:
        raise SandboxError(_("Instansi ini tidak memiliki sandbox pelatihan yang terbuka."))
    n = sandbox.reports.count()
    files = [(a.file, a.public_file) for a in Attachment.objects.filter(report__sandbox=sandbox)]
    sandbox.delete()
    # Trainees' uploads leave the file store once the rows are gone for good.
    transaction.on_commit(lambda: [f.delete(save=False) for pair in files for f in pair if f])
    return n
