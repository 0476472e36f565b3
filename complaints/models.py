import hmac
import secrets

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, connections, models, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, District, Region, Village, in_subtrees, path_ids
from lapor import page_cache, refcache
from lapor.prepared import insert_rows

from .deadlines import WorkCalendar, default_limit

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed from paper
TRACKING_LENGTH = 8


def new_tracking_no() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


_TRACKING_HALF = TRACKING_LENGTH * 5 // 2  # 20 bits: 8 characters of 5 bits, in two halves
_TRACKING_MASK = (1 << _TRACKING_HALF) - 1


def tracking_number_for(report_id: int) -> str:
    """The tracking number of the report with this id: a keyed permutation of the 40-bit number
    space (a four-round Feistel network, HMAC-SHA256 rounds under settings.LAPOR_TRACKING_KEY), so
    two ids never share a number — no retry, no look-up — and numbers do not reveal their order."""
    key = (
        settings.LAPOR_TRACKING_KEY
        or hmac.new(settings.SECRET_KEY.encode(), b"lapor-tracking-no", "sha256").hexdigest()
    ).encode()
    left, right = (report_id >> _TRACKING_HALF) & _TRACKING_MASK, report_id & _TRACKING_MASK
    for round_no in range(4):
        mac = hmac.new(key, f"{round_no}:{right}".encode(), "sha256").digest()
        left, right = right, left ^ (int.from_bytes(mac[:4], "big") & _TRACKING_MASK)
    value = (left << _TRACKING_HALF) | right
    return "".join(TRACKING_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(TRACKING_LENGTH)))


def provisional_tracking_no() -> str:
    """A unique stand-in for the few statements between a report's INSERT and its real number
    (lower-case hex: never a tracking number)."""
    return secrets.token_hex(6)


def private_storage():
    """Attachments' storage (settings.STORAGES["private"]); a callable keeps paths out of migrations."""
    return storages["private"]


class Category(models.Model):
    """Two-level topic tree (Kesehatan → BPJS Kesehatan), editable by national admins."""

    class Level(models.TextChoices):
        """Which level of government handles the category where no routing rule names an agency
        (complaints.routing)."""

        REGENCY = "regency", _("Kabupaten/kota")
        PROVINCE = "province", _("Provinsi")
        NATIONAL = "national", _("Nasional")

    code = models.SlugField(_("kode"), max_length=64, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    name_en = models.CharField(_("nama (English)"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("induk"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.CharField(
        _("tingkat penanganan"),
        max_length=10,
        choices=Level.choices,
        default=Level.REGENCY,
        help_text=_(
            "Tanpa aturan disposisi, laporan masuk ke pemerintah kabupaten/kota atau provinsi tempat kejadian; "
            "kategori nasional ke instansi pada aturan disposisi tanpa wilayah."
        ),
    )
    position = models.PositiveIntegerField(_("urutan"), default=0)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("kategori")
        verbose_name_plural = _("kategori")
        ordering = ["position", "name"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name in the current language: the English name in English, where the data has one."""
        return (self.name_en if (get_language() or "").startswith("en") else "") or self.name


class RoutingRule(models.Model):
    """Category + region (a regency, a province, or none: the whole country) → the agency whose
    verification queue a report lands in when nobody chose one (complaints.routing)."""

    category = models.ForeignKey(Category, verbose_name=_("kategori"), on_delete=models.CASCADE)
    region = models.ForeignKey(Region, verbose_name=_("wilayah"), null=True, blank=True, on_delete=models.CASCADE)
    agency = models.ForeignKey(Agency, verbose_name=_("instansi tujuan"), on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("aturan disposisi")
        verbose_name_plural = _("aturan disposisi")
        constraints = [models.UniqueConstraint(fields=["category", "region"], name="routing_rule_unique")]

    def __str__(self):
        return f"{self.category} / {self.region or '*'} → {self.agency}"


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Belum Terverifikasi")
    ON_HOLD = "on_hold", _("Tertunda")
    VERIFIED = "verified", _("Terverifikasi")
    DISPATCHED = "dispatched", _("Terdisposisi – Belum Ditindaklanjuti")
    IN_PROGRESS = "in_progress", _("Terdisposisi – Sedang Diproses")
    RETURNED = "returned", _("Dikembalikan – Bukan Wewenang")
    RESPONDED = "responded", _("Ditanggapi – Menunggu Tanggapan Pelapor")
    COMPLETED = "completed", _("Selesai")
    ARCHIVED = "archived", _("Diarsipkan")
    REMOVED = "removed", _("Dihapus")
    MERGED = "merged", _("Digabungkan – Duplikat")


class Action(models.TextChoices):
    """What happens to a report: one Event each (the transition table is workflow.TRANSITIONS)."""

    SUBMIT = "submit", _("Laporan dikirim")
    VERIFY = "verify", _("Verifikasi")
    HOLD = "hold", _("Minta kelengkapan data")
    PROVIDE_INFO = "provide_info", _("Kelengkapan data dikirim")
    EXPIRE_INFO = "expire_info", _("Dianggap dicabut")
    DISPATCH = "dispatch", _("Disposisi")
    FORWARD = "forward", _("Teruskan ke unit kerja")
    RETURN = "return", _("Kembalikan – bukan wewenang")
    TRANSFER = "transfer", _("Alihkan ke instansi lain")
    FOLLOW_UP = "follow_up", _("Tindak lanjut")
    DRAFT_RESPONSE = "draft_response", _("Draf jawaban")
    APPROVE_RESPONSE = "approve_response", _("Setujui dan terbitkan jawaban")
    RESPOND = "respond", _("Tanggapi")
    REPLY = "reply", _("Balasan pelapor")
    ACCEPT = "accept", _("Diterima pelapor")
    REOPEN = "reopen", _("Dibuka kembali")
    AUTO_COMPLETE = "auto_complete", _("Selesai otomatis")
    ARCHIVE = "archive", _("Arsipkan")
    REMOVE = "remove", _("Hapus")
    NOTE = "note", _("Catatan internal")
    MERGE = "merge", _("Gabungkan sebagai duplikat")
    UNMERGE = "unmerge", _("Batalkan penggabungan")


ACTION_VALUES = frozenset(Action.values)  # Event.action_label: Action.values builds its list on each call


# What citizens read for each step — on the report's page, in "my reports" and in the subjects of
# their e-mails: what happened to the report, in their words (Action's labels are the staff's verbs).
CITIZEN_LABELS: dict[str, str] = {
    Action.SUBMIT: _("Laporan diterima"),
    Action.VERIFY: _("Laporan diverifikasi"),
    Action.HOLD: _("Pelapor diminta melengkapi data"),
    Action.PROVIDE_INFO: _("Pelapor melengkapi data"),
    Action.EXPIRE_INFO: _("Laporan dianggap dicabut karena data tidak dilengkapi"),
    Action.DISPATCH: _("Laporan diteruskan ke instansi yang berwenang"),
    Action.FORWARD: _("Laporan diteruskan ke unit kerja"),
    Action.RETURN: _("Instansi menyatakan bukan wewenangnya"),
    Action.TRANSFER: _("Laporan dialihkan ke instansi lain"),
    Action.FOLLOW_UP: _("Instansi menindaklanjuti laporan"),
    Action.DRAFT_RESPONSE: _("Jawaban instansi sedang disiapkan"),
    Action.APPROVE_RESPONSE: _("Instansi menjawab laporan"),
    Action.RESPOND: _("Instansi menjawab laporan"),
    Action.REPLY: _("Pelapor menanggapi jawaban"),
    Action.ACCEPT: _("Pelapor menerima jawaban"),
    Action.REOPEN: _("Pelapor membuka kembali laporan"),
    Action.AUTO_COMPLETE: _("Laporan selesai otomatis"),
    Action.ARCHIVE: _("Laporan diarsipkan"),
    Action.REMOVE: _("Laporan dihapus"),
    Action.NOTE: _("Catatan petugas"),
    Action.MERGE: _("Laporan digabungkan dengan laporan lain tentang masalah yang sama"),
    Action.UNMERGE: _("Penggabungan laporan dibatalkan"),
}


# The named groups of the workflow's words. Every other set (the transition table, notifications,
# statistics, deadline compliance) is built from these, so a new action or status is added here once.
CLOSED_STATUSES = {Status.COMPLETED, Status.ARCHIVED, Status.REMOVED, Status.MERGED}
OPEN_STATUSES = [s for s in Status.values if s not in CLOSED_STATUSES]
WORKING_STATUSES = (Status.DISPATCHED, Status.IN_PROGRESS)  # an agency holds it and works on it
# The agency's answers to the citizen: published ones, and every answer that counts as the first follow-up.
PUBLISHED_ANSWERS = (Action.RESPOND, Action.APPROVE_RESPONSE)
ANSWERS = (Action.FOLLOW_UP, *PUBLISHED_ANSWERS)
# What staff do (workflow.ACTION_ROLES gives these, and only these, to agency or national roles).
STAFF_ACTIONS = (
    Action.VERIFY,
    Action.HOLD,
    Action.DISPATCH,
    Action.FORWARD,
    Action.RETURN,
    Action.TRANSFER,
    Action.FOLLOW_UP,
    Action.DRAFT_RESPONSE,
    Action.APPROVE_RESPONSE,
    Action.RESPOND,
    Action.ARCHIVE,
    Action.REMOVE,
    Action.NOTE,
    Action.MERGE,
    Action.UNMERGE,
)
# What gives a report away to another desk: counted in Report.bounce_count and capped (workflow's
# return and transfer), and the dashboards' "bounced".
BOUNCES = (Action.RETURN, Action.TRANSFER)
# What the reporter does on their own report, and what the deadline sweep does for them.
CITIZEN_ACTIONS = (Action.PROVIDE_INFO, Action.REPLY, Action.ACCEPT, Action.REOPEN)
SYSTEM_ACTIONS = (Action.EXPIRE_INFO, Action.AUTO_COMPLETE)
# Timeline entries only staff see.
INTERNAL_ACTIONS = (Action.NOTE, Action.DRAFT_RESPONSE)


class Classification(models.TextChoices):
    COMPLAINT = "complaint", _("Pengaduan")
    ASPIRATION = "aspiration", _("Aspirasi")
    INFORMATION = "information", _("Permintaan Informasi")


class ComplaintKind(models.TextChoices):
    NORMATIVE = "normative", _("Normatif")
    EXAMINATION = "examination", _("Perlu pemeriksaan")


class Channel(models.TextChoices):
    WEB = "web", _("Situs web")
    MOBILE = "mobile", _("Aplikasi seluler")
    SMS = "sms", _("SMS")
    SOCIAL = "social", _("Media sosial")
    INTEGRATED = "integrated", _("Aplikasi terintegrasi")
    WALK_IN = "walk_in", _("Datang langsung")
    LETTER = "letter", _("Surat")
    PHONE = "phone", _("Telepon")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")


class CloseReason(models.TextChoices):
    # archive
    OUT_OF_SCOPE = "out_of_scope", _("Di luar lingkup pelayanan publik")
    INSUFFICIENT = "insufficient", _("Informasi tidak lengkap")
    WITHDRAWN = "withdrawn", _("Dianggap dicabut (data tidak dilengkapi)")
    RESOLVED_ELSEWHERE = "resolved_elsewhere", _("Sudah diselesaikan melalui saluran lain")
    # remove
    UNINTELLIGIBLE = "unintelligible", _("Tidak dapat dipahami")
    SPAM = "spam", _("Spam")
    ABUSIVE = "abusive", _("Mengandung SARA/kata kasar")
    DUPLICATE = "duplicate", _("Duplikat")


ARCHIVE_REASONS = [
    CloseReason.OUT_OF_SCOPE,
    CloseReason.INSUFFICIENT,
    CloseReason.WITHDRAWN,
    CloseReason.RESOLVED_ELSEWHERE,
]
REMOVE_REASONS = [CloseReason.UNINTELLIGIBLE, CloseReason.SPAM, CloseReason.ABUSIVE, CloseReason.DUPLICATE]


def overdue_q(now=None) -> Q:
    """The one rule of "overdue" (Terlambat): an open report past Report.due_at, the due time of its
    earliest running agency clock. The admin's queue, count and badge, the staff overdue page, exports
    and the daily digest all ask this (Report.is_overdue for a loaded report)."""
    return Q(status__in=OPEN_STATUSES, due_at__lt=now or timezone.now())


def tally_by_status(rows) -> dict:
    """{status: n, "overdue": sum of late} from grouped rows of `status`, `n` and `late` (the queue tabs'
    counts, however the rows were counted)."""
    counts = {"overdue": 0}
    for r in rows:
        counts[r["status"]] = r["n"]
        counts["overdue"] += r["late"]
    return counts


def reference_objects() -> dict:
    """Every region and category by primary key, each linked to its parent: kept in each worker's
    memory with the reference data (lapor/refcache)."""

    def build():
        regions = {r.pk: r for r in Region.objects.all()}
        categories = {c.pk: c for c in Category.objects.all()}
        for objects in (regions, categories):
            for obj in objects.values():
                obj._state.fields_cache["parent"] = objects.get(obj.parent_id)
        return {"regions": regions, "categories": categories}

    return refcache.get("reference-objects", build)


def attach_reference(reports) -> None:
    """Give loaded reports their category and regions from memory (no query, no join)."""
    ref = None
    for report in reports:
        if not isinstance(report, Report):
            return
        ref = ref or reference_objects()
        cache = report._state.fields_cache
        for name, table, key in (
            ("category", "categories", report.__dict__.get("category_id")),
            ("province", "regions", report.__dict__.get("province_id")),
            ("regency", "regions", report.__dict__.get("regency_id")),
        ):
            obj = ref[table].get(key)
            if obj is not None and name not in cache:
                cache[name] = obj


# What a report card shows (complaints/_report_card.html and fragments._card_shows: the row, its reference
# data, access.reporter_public_name) and the home page's latest reports; a field read that is not here
# would be fetched report by report (tests: test_fragments, the feed's query bound).
CARD_FIELDS = (
    "tracking_no",
    "title",
    "status",
    "body",
    "classification",
    "category_id",
    "province_id",
    "regency_id",
    "created_at",
    "is_anonymous",
    "reporter_name",
    "entered_by_id",
    "agency__name",
    "support_count",
    "comment_count",
    "reporter__display_name",
    "reporter__full_name",
)


class ReportQuerySet(models.QuerySet):
    def real(self):
        """Every report but a training sandbox's practice reports (agencies.Sandbox, complaints/sandbox.py)."""
        return self.filter(sandbox__isnull=True)

    def not_confidential(self):
        """Every report that is not Rahasia (DESIGN.md "A report"): what anybody holding its tracking
        number may follow (its status, from the moment it is filed), what the public statistics count,
        and what integrations (API keys, webhooks) may receive. What the public may *read* is public().
        Never a training sandbox's practice report."""
        return self.real().filter(is_confidential=False)

    def public(self):
        """What anybody may read (feed, search, report pages, Open311, open data): verified, not
        Rahasia, not removed as junk. Every list of reports the public sees is built on this."""
        return self.not_confidential().filter(verified_at__isnull=False).exclude(status=Status.REMOVED)

    def overdue(self, now=None):
        """Open reports past the due time of their running clock (the "Terlambat" queue)."""
        return self.filter(overdue_q(now))

    def not_overdue(self, now=None):
        return self.exclude(overdue_q(now))

    _with_reference = False  # see for_list

    def _clone(self):
        clone = super()._clone()
        clone._with_reference = self._with_reference
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._with_reference:
            attach_reference(self._result_cache)

    def for_list(self):
        """Reports with what a list shows: the agency joined; the category (with its parent) and the
        regions from the reference data in memory (lapor/refcache). A join of seven tables took
        PostgreSQL longer to plan (15-100 ms) than to run."""
        clone = self.select_related("agency")
        clone._with_reference = True
        return clone

    def for_cards(self):
        """for_list() reading only the columns a report card shows (CARD_FIELDS): the feed, search and
        the home page's latest. Half the columns of a report and three of its reporter's: less to
        compile, fetch and load for 25 cards (issue #15)."""
        return self.for_list().select_related("reporter").only(*CARD_FIELDS)

    def handled_by_subtrees(self, agencies, statuses=None):
        """Reports that any of these agencies' subtrees handle, handled, or received a copy of
        (optionally only those in `statuses`).

        On PostgreSQL the subtree's agency ids are computed first (`= ANY(ARRAY(SELECT …))`, one
        InitPlan) and the handling rows read through the (agency, status, report) index. Written as a
        join to the agencies, the planner guessed the path prefix's rows badly and read the whole
        handling table instead (a sequential scan: 78,000 rows at 100k reports, 1.5 million at 2M).
        A handling row carries its report's status (ReportAgency.status) and must match it: a queue
        filtered on one status (`status = 'in_progress'`) thereby reads only the subtree's rows in that
        status — the planner carries the constant across the equality — instead of every row the
        subtree ever had and a probe of each report (3,071 for 386 at 2M); `statuses` does the same for
        a list of statuses (an IN list is not carried across)."""
        if not agencies:
            return self.none()
        held = ReportAgency.objects.using(self.db).in_subtrees(agencies)
        held = held.filter(report=OuterRef("pk"), status=OuterRef("status"))
        if statuses is not None:
            held = held.filter(status__in=list(statuses))
            return self.filter(Exists(held), status__in=list(statuses))
        return self.filter(Exists(held))


class AnyOf(models.Lookup):
    """`column = ANY(ARRAY(subquery))` (PostgreSQL): the subquery's values become one array before the
    plan runs, so the planner sees a short list of keys for an index instead of a join it must guess."""

    lookup_name = "any_of_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)  # "(SELECT …)"
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


_UNKNOWN = object()  # a report's stored status that was not loaded (deferred)
# What decides whether, and where, the public map counts a report (Report._loaded_map_point).
MAP_POINT_FIELDS = frozenset(
    {"is_confidential", "verified_at", "status", "sandbox", "sandbox_id", "latitude", "longitude", "is_anonymous"}
)
MAP_POINT_ATTNAMES = ("is_confidential", "verified_at", "status", "sandbox_id", "latitude", "longitude", "is_anonymous")
# What the figures kept per agency subtree read of a report (complaints/holders.py; dashboards/figures.py
# compute_scope_live, compute_funnel): a save of other fields only (its tracking number, due time…) changes none.
LIVE_FIELDS = frozenset(
    {"agency", "agency_id", "status", "created_at", "sandbox", "sandbox_id", "is_confidential", "kecamatan"}
    | {"kecamatan_id", "latitude", "longitude", "title", "is_anonymous"}
)
PUBLIC_ATTNAMES = ("is_confidential", "verified_at", "status", "sandbox_id")  # what is_public reads


def _plain_insert(obj, args, kwargs) -> bool:
    """save(force_insert=True[, using=…]) of a new row: lapor.prepared.insert may write it."""
    return (
        obj._state.adding
        and not args
        and kwargs.get("force_insert") is True
        and set(kwargs) <= {"force_insert", "using"}
    )


class TypedTrackingNumber(models.lookups.Exact):
    """`tracking_no__typed=value`: a tracking number as a person types it (any case), compared as stored
    (upper case, TRACKING_ALPHABET) on the unique index — not UPPER() of both sides, as `iexact` does,
    which no index holds (2,000,000 reports read for one number). Registered on Report.tracking_no only;
    the report admin's search box uses it (ReportAdmin.search_fields)."""

    lookup_name = "typed"

    def get_prep_lookup(self):
        self.rhs = str(self.rhs).upper()
        return super().get_prep_lookup()

    def get_rhs_op(self, connection, rhs):
        return connection.operators["exact"] % rhs  # the backends' operators are by lookup name


class Report(models.Model):
    tracking_no = models.CharField(
        _("nomor pelacakan"), max_length=12, unique=True, default=new_tracking_no, editable=False
    )
    classification = models.CharField(_("klasifikasi"), max_length=16, choices=Classification)
    complaint_kind = models.CharField(_("jenis pengaduan"), max_length=16, choices=ComplaintKind, blank=True)
    is_formal_info_request = models.BooleanField(_("permohonan informasi resmi (UU 14/2008)"), default=False)
    title = models.CharField(_("judul"), max_length=200)
    original_title = models.CharField(_("judul asli"), max_length=200, blank=True, editable=False)
    body = models.TextField(_("isi laporan"))
    event_date = models.DateField(_("tanggal kejadian"))
    province = models.ForeignKey(
        Region,
        verbose_name=_("provinsi"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "province"},
    )
    regency = models.ForeignKey(
        Region,
        verbose_name=_("kabupaten/kota"),
        on_delete=models.PROTECT,
        related_name="reports",
        limit_choices_to={"level": "regency"},
        db_index=False,  # report_regency_recent (regency, -created_at) serves its lookups
    )
    district = models.CharField(_("kecamatan/desa"), max_length=120, blank=True)
    # Kemendagri districts and villages (agencies.District/Village): optional, inside the regency.
    kecamatan = models.ForeignKey(
        District, verbose_name=_("kecamatan"), null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    kelurahan = models.ForeignKey(
        Village,
        verbose_name=_("kelurahan/desa"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    latitude = models.DecimalField(_("lintang"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("bujur"), max_digits=9, decimal_places=6, null=True, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("kategori"), on_delete=models.PROTECT, related_name="reports")
    tags = models.JSONField(_("tag"), default=list, blank=True)
    channel = models.CharField(_("kanal"), max_length=16, choices=Channel, default=Channel.WEB)
    is_anonymous = models.BooleanField(_("anonim"), default=False)
    is_confidential = models.BooleanField(_("rahasia"), default=False)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pelapor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        db_index=False,  # report_reporter_status (reporter, status, …) serves its lookups
    )
    # Off-platform complaints recorded by staff for someone without an account.
    reporter_name = models.CharField(_("nama pelapor"), max_length=150, blank=True)
    reporter_contact = models.CharField(_("kontak pelapor"), max_length=150, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dicatat oleh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    suggested_agency = models.ForeignKey(
        Agency,
        verbose_name=_("instansi tujuan usulan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who holds it now (None: the national admins). routed_by: whose admin dispatched it, where a return goes.
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("instansi penangan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        db_index=False,  # report_queue (agency, status, due_at) serves its lookups
    )
    routed_by = models.ForeignKey(
        Agency,
        verbose_name=_("didisposisikan oleh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.SUBMITTED)
    held_from = models.CharField(max_length=16, choices=Status, blank=True, editable=False)
    close_reason = models.CharField(_("alasan penutupan"), max_length=24, choices=CloseReason, blank=True)
    # The earliest due time of the running agency clock: the queues' order (denormalized from Clock).
    due_at = models.DateTimeField(_("tenggat"), null=True, blank=True)

    created_at = models.DateTimeField(_("dibuat"), default=timezone.now)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)
    verified_at = models.DateTimeField(_("diverifikasi"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("didisposisikan"), null=True, blank=True)
    first_follow_up_at = models.DateTimeField(_("tindak lanjut pertama"), null=True, blank=True)
    responded_at = models.DateTimeField(_("ditanggapi"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ditutup"), null=True, blank=True)

    # A duplicate merged into the report about the same problem (status MERGED; workflow.merge).
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("digabungkan ke"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )

    bounce_count = models.PositiveSmallIntegerField(_("jumlah pengembalian"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("jumlah dibuka kembali"), default=0)
    rating = models.PositiveSmallIntegerField(
        _("penilaian"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("komentar penilaian"), blank=True)
    auto_completed = models.BooleanField(_("selesai otomatis"), default=False)
    support_count = models.PositiveIntegerField(_("dukungan"), default=0)
    comment_count = models.PositiveIntegerField(_("komentar"), default=0)
    # A resubmitted form carries the same key: one report, not two.
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # A practice report of a training sandbox (Bimtek): seen and worked by its trainees only, deleted
    # with it; never public, counted, exported to others, pushed to the API or mailed to a citizen.
    sandbox = models.ForeignKey(
        "agencies.Sandbox",
        verbose_name=_("sandbox pelatihan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports",
        editable=False,
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("laporan")
        verbose_name_plural = _("laporan")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="report_status_valid"),
            models.CheckConstraint(
                condition=Q(classification__in=Classification.values), name="report_classification_valid"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="report_rating_range"
            ),
        ]
        indexes = [
            # Public feed and home page: newest public reports first.
            models.Index(
                fields=["-created_at"],
                name="report_public_feed",
                condition=Q(is_confidential=False, verified_at__isnull=False),
            ),
            # "My reports": each tab's statuses' newest first and its count, read for one page
            # (complaints/own_reports.py); with the reporter first, it serves every lookup by reporter too.
            models.Index(fields=["reporter", "status", "-created_at", "-id"], name="report_reporter_status"),
            # Admin work queues: an agency's reports in a status, by due date.
            models.Index(fields=["agency", "status", "due_at"], name="report_queue"),
            # National queues (agency is NULL) and status counts.
            models.Index(fields=["status", "due_at"], name="report_status_due"),
            # The national admins' unfiltered queue: everything by due date (overdue first), paged.
            models.Index(fields=["due_at", "id"], name="report_due"),
            # The API's changes feed: keyset pages by (updated_at, id).
            models.Index(fields=["updated_at", "id"], name="report_updated"),
            # Likely duplicates (complaints.duplicates): one regency's recent reports.
            models.Index(fields=["regency", "-created_at"], name="report_regency_recent"),
            # The dashboards' funnel (dashboards/figures.py compute_funnel): an agency subtree's reports filed
            # in a period, by status, counted from this index alone (the public's and a district's too), so its
            # cost follows the period's reports of the scope, not every report the scope ever held.
            models.Index(
                fields=["agency", "created_at"],
                include=["status", "is_confidential", "kecamatan"],
                name="report_agency_created",
                condition=Q(sandbox__isnull=True),
            ),
            # The public map's bounding-box query (complaints/places.py): public reports with a pin.
            models.Index(
                fields=["latitude", "longitude"],
                name="report_public_map",
                condition=Q(is_confidential=False, verified_at__isnull=False, latitude__isnull=False),
            ),
            # The public map filtered by category (places.point_query with the list's category filter:
            # category_id IN the category and its children): a dense town's box holds thousands of pins,
            # of which the category's are a few; this reads only those, one range per category.
            models.Index(
                fields=["category", "longitude", "latitude"],
                name="report_public_map_category",
                condition=Q(is_confidential=False, verified_at__isnull=False, latitude__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.tracking_no} — {self.title}"

    def save(self, *args, **kwargs):
        """Saves, and keeps the per-status counters (complaints/status_counts.py) in the same
        transaction: a new report counts in its status, a changed status moves one count and is written
        on the report's handling rows (ReportAgency.status, what the staff scope matches), and so is a
        changed due time (ReportAgency.due_at, what the queue tabs count overdue by). A report
        whose public map point was stored and is no longer (made Rahasia, removed, its pin moved…) has
        its map grid cells recounted when the transaction commits (places.forget_map_point)."""
        from . import holders, status_counts

        before = None if self._state.adding else getattr(self, "_saved_status", _UNKNOWN)
        holder_before = None if self._state.adding else getattr(self, "_saved_agency_id", _UNKNOWN)
        adding = self._state.adding
        due_before = getattr(self, "_saved_due_at", _UNKNOWN)
        point_before = None if self._state.adding else getattr(self, "_saved_map_point", _UNKNOWN)
        public_before = (False, None) if self._state.adding else getattr(self, "_saved_public", (_UNKNOWN, _UNKNOWN))
        fields = kwargs.get("update_fields")
        status_saved = fields is None or "status" in fields
        due_saved = fields is None or "due_at" in fields
        map_saved = fields is None or not MAP_POINT_FIELDS.isdisjoint(fields)
        with transaction.atomic(savepoint=False):
            if _plain_insert(self, args, kwargs):
                # The INSERT's text built once per process; its id is given, so the INSERT may travel with the
                # next statement (lapor/prepared.py writes_sent_with_the_next_statement: a submission's).
                insert_rows([self], using=kwargs.get("using"), later=self.pk is not None)
            else:
                super().save(*args, **kwargs)
            if status_saved and before is not _UNKNOWN and before != self.status and self.sandbox_id is None:
                status_counts.moved(before, self.status)
            status_moved = status_saved and before is not None and before != self.status
            due_moved = due_saved and not adding and due_before != self.due_at
            if status_moved or due_moved:
                # The handling rows carry the status the staff scope matches and the due time the queue
                # tabs count (ReportAgency.status, .due_at): one UPDATE of this report's few rows, whose
                # agencies' queues are then counted again (complaints/queue_cache.py).
                moved = ReportAgency.objects.set_from_report(self, using=kwargs.get("using") or self._state.db)
                if self.sandbox_id is None:
                    holders.handlings_changed(moved)
            if map_saved:
                point_now = self._loaded_map_point()
                if point_before not in (None, _UNKNOWN) and point_before != point_now:
                    from .places import forget_map_point

                    forget_map_point(point_before)
            if self.sandbox_id is None and (fields is None or not LIVE_FIELDS.isdisjoint(fields)):
                # The figures kept per agency subtree (the dashboards' live counts) of the report's holder
                # before and after are counted again (complaints/holders.py).
                holder = self.__dict__.get("agency_id", _UNKNOWN)  # a deferred field is not loaded for this
                holders.changed(*(holders.UNKNOWN if a is _UNKNOWN else a for a in (holder, holder_before)))
            public_now = self._loaded_public()
            if public_before[0] is not False or public_now[0] is not False or public_before[1] != public_now[1]:
                # Public, or was, or merged into a report (or no longer): the pages kept for anonymous
                # visitors that show reports are rendered again (lapor/page_cache.py).
                page_cache.report_changed()
        self._saved_public = public_now
        if fields is None or not {"agency", "agency_id"}.isdisjoint(fields):
            self._saved_agency_id = self.__dict__.get("agency_id", _UNKNOWN)
        if status_saved:
            self._saved_status = self.status
        if due_saved:
            self._saved_due_at = self.due_at
        if map_saved:
            self._saved_map_point = self._loaded_map_point()

    def _loaded_map_point(self):
        """The public point the public map counts for this report as loaded: None when it is not
        public or has no pin, _UNKNOWN when a field deciding that was not loaded (deferred)."""
        values = self.__dict__
        if any(name not in values for name in MAP_POINT_ATTNAMES):
            return _UNKNOWN
        if not self.is_public or self.latitude is None or self.longitude is None:
            return None
        return self.public_coordinates()

    def _loaded_public(self):
        """(is_public, merged_into_id) as loaded, _UNKNOWN for what depends on a field not loaded."""
        merged = self.__dict__.get("merged_into_id", _UNKNOWN)
        if any(name not in self.__dict__ for name in PUBLIC_ATTNAMES):
            return (_UNKNOWN, merged)
        return (self.is_public, merged)

    def _remember_saved(self):
        """What is stored, as far as the status counters, the map grid and the page cache need it."""
        self._saved_status = self.__dict__.get("status", _UNKNOWN)
        self._saved_agency_id = self.__dict__.get("agency_id", _UNKNOWN)
        self._saved_due_at = self.__dict__.get("due_at", _UNKNOWN)
        self._saved_map_point = self._loaded_map_point()
        self._saved_public = self._loaded_public()

    @classmethod
    def from_db(cls, db, field_names, values):
        report = super().from_db(db, field_names, values)
        report._remember_saved()
        return report

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._remember_saved()

    def is_overdue(self, now=None) -> bool:
        """The same rule as overdue_q, for one loaded report."""
        return self.status in OPEN_STATUSES and self.due_at is not None and self.due_at < (now or timezone.now())

    @property
    def is_trackable(self) -> bool:
        """The same rule as Report.objects.not_confidential() (complaints.access.trackable_by_number), for
        one loaded report: its status may be followed by anybody holding its number."""
        return not self.is_confidential and self.sandbox_id is None

    @property
    def is_public(self) -> bool:
        """The same rule as Report.objects.public(), for one loaded report."""
        return (
            not self.is_confidential
            and self.verified_at is not None
            and self.status != Status.REMOVED
            and self.sandbox_id is None
        )

    def public_coordinates(self) -> tuple[float | None, float | None]:
        """(latitude, longitude) as the public may see them: exact, or coarsened for Anonim reports
        (complaints.places.coarsen, the one rule for pages, map, Open311 and open data)."""
        from .places import public_point

        return public_point(self)

    @property
    def timezone(self) -> str:
        return self.agency.timezone if self.agency_id else settings.TIME_ZONE


Report._meta.get_field("tracking_no").register_lookup(TypedTrackingNumber)


class ReportAgencyQuerySet(models.QuerySet):
    def in_subtrees(self, agencies):
        """The handling rows of these agencies' subtrees. On PostgreSQL the subtree's agency ids are
        computed first (`= ANY(ARRAY(SELECT …))`) and the rows read through the (agency, status, report)
        index (see ReportQuerySet.handled_by_subtrees)."""
        if connections[self.db].vendor == "postgresql":
            subtree = Agency.objects.filter(in_subtrees(agencies)).values("pk")
            return self.filter(AnyOf(F("agency_id"), models.Subquery(subtree)))
        return self.filter(in_subtrees(agencies, "agency"))

    def sync_from_reports(self, batch: int = 50_000) -> int:
        """Write each handling row's status, due time and practice flag again from its report where they
        differ (after a bulk load, a repair done in SQL, or a deploy while old code ran): in batches of
        `batch` report ids, each its own transaction, which first locks the reports to be put right (as
        the workflow does), so a concurrent action is never overwritten with what it replaced. Returns
        the rows written."""
        handling = connections[self.db].ops.quote_name(ReportAgency._meta.db_table)
        report = connections[self.db].ops.quote_name(Report._meta.db_table)
        differs = (
            "r.id = h.report_id AND r.id > %s AND r.id <= %s AND h.report_id > %s AND h.report_id <= %s "
            "AND (h.status, h.due_at, h.is_practice) IS DISTINCT FROM (r.status, r.due_at, r.sandbox_id IS NOT NULL)"
        )
        last = Report.objects.using(self.db).order_by("-pk").values_list("pk", flat=True).first() or 0
        written = 0
        for low in range(0, last, batch):  # a range of report ids: reports and rows read by index
            ids = [low, low + batch] * 2
            with transaction.atomic(using=self.db), connections[self.db].cursor() as cur:
                cur.execute(f"SELECT DISTINCT h.report_id FROM {handling} h, {report} r WHERE {differs}", ids)  # noqa: S608
                report_ids = [row[0] for row in cur.fetchall()]
                if not report_ids:
                    continue
                locked = Report.objects.using(self.db).select_for_update().filter(pk__in=report_ids)
                list(locked.order_by("pk").values_list("pk", flat=True))
                cur.execute(
                    f"UPDATE {handling} AS h SET status = r.status, due_at = r.due_at, "  # noqa: S608
                    f"is_practice = (r.sandbox_id IS NOT NULL) FROM {report} r WHERE {differs}",
                    ids,
                )
                written += cur.rowcount
        if written:
            from . import holders

            holders.changed(holders.UNKNOWN)  # every subtree's queues (complaints/queue_cache.py)
        return written

    def set_from_report(self, report, using=None) -> list[int]:
        """Write the report's status and due time on its handling rows; the rows' agency ids. One
        statement (UPDATE … RETURNING: PostgreSQL, SQLite 3.35+)."""
        connection = connections[using or "default"]
        table = connection.ops.quote_name(self.model._meta.db_table)
        due_at = self.model._meta.get_field("due_at").get_db_prep_value(report.due_at, connection)
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {table} SET status = %s, due_at = %s WHERE report_id = %s RETURNING agency_id",  # noqa: S608
                [report.status, due_at, report.pk],
            )
            return [row[0] for row in cur.fetchall()]

    def set_due_from_reports(self, report_ids, using=None) -> list[int]:
        """Write these reports' due times on their handling rows; the agency ids of the real ones (a
        practice report's rows count in no queue that is kept). One statement (UPDATE … RETURNING)."""
        report_ids = list(report_ids)
        if not report_ids:
            return []
        connection = connections[using or "default"]
        rows, reports = (connection.ops.quote_name(m._meta.db_table) for m in (self.model, Report))
        slots = ", ".join(["%s"] * len(report_ids))
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {rows} SET due_at = (SELECT r.due_at FROM {reports} r WHERE r.id = {rows}.report_id)"  # noqa: S608
                f" WHERE report_id IN ({slots}) RETURNING agency_id, is_practice",
                report_ids,
            )
            return [agency_id for agency_id, practice in cur.fetchall() if not practice]

    def count_reports_by_status_until(self, statuses, now=None) -> tuple[dict, object]:
        """{status: reports, "overdue": reports} of these rows' real reports in `statuses`, each report
        once however many of the rows it has: read from the rows' index alone (their status, due time and
        practice flag are their report's), by the one rule of overdue (overdue_q); and the earliest due time
        still ahead among the open ones counted (when the overdue count grows next; None: none ahead)."""
        now = now or timezone.now()
        rows = list(
            self.filter(status__in=list(statuses), is_practice=False)
            .order_by()
            .values("status")
            .annotate(
                n=Count("report_id", distinct=True),
                late=Count("report_id", distinct=True, filter=overdue_q(now)),
                ahead=Min("due_at", filter=Q(status__in=OPEN_STATUSES, due_at__gte=now)),
            )
        )
        soonest = min((r["ahead"] for r in rows if r["ahead"] is not None), default=None)
        return tally_by_status(rows), soonest


class ReportAgency(models.Model):
    """Every agency that held a report or got a copy: the "handles or handled" in staff scoping."""

    class Kind(models.TextChoices):
        HANDLER = "handler", _("Penangan")
        COPY = "copy", _("Tembusan")

    # Looked up through report_agency_unique (report, agency, kind) and report_agency_queue (agency, …).
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="handlings", db_index=False)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="handlings", db_index=False)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.HANDLER)
    created_at = models.DateTimeField(default=timezone.now)
    # The report's status now, on every one of its rows: written from the report when a row is made and
    # by Report.save whenever the status changes (the one place, in the same transaction as the status
    # counters). The staff scope matches it to the report's (handled_by_subtrees), so an agency queue
    # of one status reads only its subtree's rows in that status, not the subtree's whole history.
    status = models.CharField(max_length=16, choices=Status, blank=True, default="", db_default="", editable=False)
    # The report's due time (Report.due_at) and whether it is a practice report of a training sandbox,
    # kept in step like the status (Report.save, clocks.sync_report_due; `manage.py sync_handling_rows`
    # writes them again from the reports): an agency's queue tabs count their subtree's open reports,
    # overdue ones included, from the handling rows' index alone, without reading one report
    # (admin.queue_counts; at 2,000,000 reports that was 931 report rows read per page).
    due_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_practice = models.BooleanField(default=False, db_default=False, editable=False)

    objects = ReportAgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("instansi penangan")
        verbose_name_plural = _("riwayat instansi penangan")
        constraints = [models.UniqueConstraint(fields=["report", "agency", "kind"], name="report_agency_unique")]
        indexes = [
            # access.staff_reports: the reports of an agency subtree, in a status (the queues) or in any;
            # with the due time and the practice flag, the queue tabs are counted from this index alone.
            models.Index(
                fields=["agency", "status", "report"], include=["due_at", "is_practice"], name="report_agency_queue"
            ),
            # The same for the open rows only: the queue tabs (count_reports_by_status_until over the open
            # statuses) and the open queues' pages read a subtree's open rows, not its closed history
            # (2,140 of an agency's 3,071 rows at 2,000,000 reports).
            models.Index(
                fields=["agency", "status", "report"],
                include=["due_at", "is_practice"],
                name="report_agency_open",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
        ]

    def __str__(self):
        return f"{self.report_id} → {self.agency_id} ({self.kind})"

    def save(self, *args, **kwargs):
        if self._state.adding and not self.status:
            # A new row carries its report's status, due time and practice flag (read once if the
            # report is not loaded with them).
            loaded = self._state.fields_cache.get("report")
            if loaded is None or any(name not in loaded.__dict__ for name in ("status", "due_at", "sandbox_id")):
                loaded = Report.objects.only("status", "due_at", "sandbox_id").get(pk=self.report_id)
            self._copy_from(loaded)
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and not self.is_practice:
            from . import holders

            holders.handlings_changed([self.agency_id])  # its subtrees' queues (complaints/queue_cache.py)

    @classmethod
    def of(cls, report: Report, **fields) -> "ReportAgency":
        """A new handling row of a loaded report, carrying its status, due time and practice flag."""
        return cls(report=report, **fields)._copy_from(report)

    def _copy_from(self, report: Report) -> "ReportAgency":
        self.status, self.due_at, self.is_practice = report.status, report.due_at, report.sandbox_id is not None
        return self


class Event(models.Model):
    """One step of a report's life. Append-only: written by workflow.py, never edited."""

    # Looked up through event_timeline (report, created_at).
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("tindakan"), max_length=24, choices=Action)
    from_status = models.CharField(max_length=16, choices=Status, blank=True)
    to_status = models.CharField(max_length=16, choices=Status, blank=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    public_note = models.TextField(_("catatan publik"), blank=True)
    internal_note = models.TextField(_("catatan internal"), blank=True)
    is_public = models.BooleanField(default=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Tamper evidence (lapor/audit.py): the previous event's hash and this one's.
    prev_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("riwayat")
        verbose_name_plural = _("riwayat")
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(action__in=Action.values), name="event_action_valid")]
        indexes = [
            # Timelines: a report's events in order.
            models.Index(fields=["report", "created_at"], name="event_timeline"),
            # Dashboards: events of a kind in a period.
            models.Index(fields=["action", "created_at"], name="event_action_time"),
        ]

    def __str__(self):
        return f"{self.report_id}: {self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Events are append-only")
        plain = _plain_insert(self, args, {**kwargs, "force_insert": True})
        if plain:
            # Events are only ever inserted: the INSERT's text built once per process.
            def insert(**extra):
                insert_rows([self], using=kwargs.get("using"))
        else:

            def insert(**extra):
                super(Event, self).save(*args, **{**kwargs, **extra})

        if self.report.sandbox_id is not None:
            # Practice (a training sandbox): not sealed into the audit trail, which must survive the
            # sandbox's deletion; verify_audit counts these rows as unsealed while they exist.
            insert()
        else:
            from lapor import audit

            audit.append(self, audit.EVENT_CHAIN, insert, plain=plain)  # PostgreSQL: one statement

    @property
    def action_label(self):
        """get_action_display() without building the dict of every choice on each call (its cost
        showed in every notification's subject)."""
        return str(Action(self.action).label) if self.action in ACTION_VALUES else self.action

    @property
    def is_published_answer(self) -> bool:
        return self.action in PUBLISHED_ANSWERS

    @property
    def citizen_label(self):
        """The step in the citizen's words (CITIZEN_LABELS)."""
        return CITIZEN_LABELS.get(self.action) or self.action_label


def attachment_path(instance, filename):
    return f"reports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=attachment_path, max_length=200)
    # An image's copy without any metadata (no GPS): what everyone but the handling staff downloads.
    public_file = models.FileField(
        storage=private_storage, upload_to=attachment_path, max_length=200, blank=True, db_default=""
    )
    # `file` itself carries no metadata (an Anonim reporter's file, cleaned on upload or when made Anonim).
    is_clean = models.BooleanField(default=False, db_default=False)
    # Could not be cleaned when the report was made Anonim: only its reporter may download it.
    withheld = models.BooleanField(_("ditahan"), default=False, db_default=False)
    original_name = models.CharField(_("nama berkas"), max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lampiran")
        verbose_name_plural = _("lampiran")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.original_name


class ClockKind(models.TextChoices):
    VERIFICATION = "verification", _("Verifikasi dan disposisi")
    FIRST_FOLLOW_UP = "first_follow_up", _("Tindak lanjut pertama")
    RESOLUTION = "resolution", _("Penyelesaian")
    REPLY_WINDOW = "reply_window", _("Tanggapan pelapor")
    DETAILS = "details", _("Kelengkapan data pelapor")


AGENCY_CLOCKS = {ClockKind.VERIFICATION, ClockKind.FIRST_FOLLOW_UP, ClockKind.RESOLUTION}
# The actions that fulfil each agency clock. A clock stopped by one of them was met; one restarted
# on time by a forward, transfer or citizen reply was neither met nor missed (it is not judged).
CLOCK_FULFILLED_BY = {
    ClockKind.VERIFICATION: (Action.DISPATCH,),
    ClockKind.FIRST_FOLLOW_UP: ANSWERS,
    ClockKind.RESOLUTION: PUBLISHED_ANSWERS,
}


class ClockQuerySet(models.QuerySet):
    def ticking(self):
        """Open clocks that count down: running, or running past a miss (not paused)."""
        return self.filter(stopped_at__isnull=True, state__in=Clock.TICKING)

    def setting_report_due(self):
        """The clocks whose earliest due time is Report.due_at (Clock.sets_report_due, in SQL)."""
        return self.ticking().filter(kind__in=AGENCY_CLOCKS)

    def missed(self, now=None):
        """Deadlines an agency missed: stopped late, or still running past due (the sweep marks
        those missed a moment later). What lets a citizen take a report to the Ombudsman."""
        late = Q(stopped_at__isnull=True, state=Clock.State.RUNNING, due_at__lt=now or timezone.now())
        return self.filter(Q(state=Clock.State.MISSED) | late, kind__in=AGENCY_CLOCKS)

    def judged(self):
        """The clocks deadline compliance is measured on: every miss, and every clock met by the
        action that fulfils it (the dashboards' "met / due" and the admin's deadline filter)."""
        counted = Q(state=Clock.State.MISSED)
        for kind, actions in CLOCK_FULFILLED_BY.items():
            fulfilled = Event.objects.filter(
                report=OuterRef("report"), created_at=OuterRef("stopped_at"), action__in=actions
            )
            counted |= Q(kind=kind, state=Clock.State.MET) & Exists(fulfilled)
        return self.filter(counted)


class Clock(models.Model):
    """A running legal deadline of one report (DESIGN.md "Clocks")."""

    class State(models.TextChoices):
        RUNNING = "running", _("Berjalan")
        PAUSED = "paused", _("Dijeda")
        MET = "met", _("Tepat waktu")
        MISSED = "missed", _("Terlambat")
        CANCELLED = "cancelled", _("Dibatalkan")

    # Looked up through clock_report_kind (report, kind).
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="clocks", db_index=False)
    kind = models.CharField(_("jenis"), max_length=16, choices=ClockKind)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("keadaan"), max_length=10, choices=State.choices, default=State.RUNNING)
    limit_days = models.PositiveSmallIntegerField(_("batas (hari)"))
    calendar_days = models.BooleanField(default=False)
    started_at = models.DateTimeField(_("mulai"))
    due_at = models.DateTimeField(_("tenggat"))
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_days = models.PositiveSmallIntegerField(null=True, blank=True)
    stopped_at = models.DateTimeField(_("berhenti"), null=True, blank=True)
    # When the sweep must next look at this clock (reminder, miss, next escalation step).
    next_check_at = models.DateTimeField(null=True, blank=True)

    objects = ClockQuerySet.as_manager()

    class Meta:
        verbose_name = _("tenggat waktu")
        verbose_name_plural = _("tenggat waktu")
        ordering = ["started_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=ClockKind.values), name="clock_kind_valid")]
        indexes = [
            # The sweep: open clocks whose next check is due (cost grows with due clocks only).
            models.Index(fields=["next_check_at", "id"], name="clock_sweep", condition=Q(stopped_at__isnull=True)),
            models.Index(fields=["report", "kind"], name="clock_report_kind"),
            # The dashboards' links: clocks of one kind that ended in a period.
            models.Index(
                fields=["kind", "stopped_at"], name="clock_kind_stopped", condition=Q(stopped_at__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.report_id} {self.kind} {self.state} {self.due_at:%Y-%m-%d}"

    # The states of an open clock that counts down (a paused one keeps its remaining days instead).
    TICKING = (State.RUNNING, State.MISSED)

    @property
    def is_open(self) -> bool:
        return self.stopped_at is None

    @property
    def kind_label(self) -> str:
        """get_kind_display() without building the dict of every choice on each call (as Event.action_label:
        each choice's label translated to hash it, on every report page with a running clock)."""
        return str(ClockKind(self.kind).label) if self.kind in ClockKind.values else self.kind

    @property
    def sets_report_due(self) -> bool:
        """Whether this clock's due time counts for Report.due_at: an open agency clock, running or
        missed (not the citizen's reply window or details). ClockQuerySet.setting_report_due in SQL."""
        return self.stopped_at is None and self.state in self.TICKING and self.kind in AGENCY_CLOCKS


class ClockStep(models.Model):
    """A reminder or escalation step of one clock: the unique row makes "exactly once" a database fact."""

    class Step(models.TextChoices):
        REMINDER = "reminder", _("Pengingat")
        ESCALATE_AGENCY = "escalate_agency", _("Eskalasi ke admin instansi")
        ESCALATE_PARENT = "escalate_parent", _("Eskalasi ke instansi induk")
        ESCALATE_NATIONAL = "escalate_national", _("Eskalasi ke admin nasional")
        AUTO_COMPLETE = "auto_complete", _("Selesai otomatis")
        EXPIRE_INFO = "expire_info", _("Dianggap dicabut")

    ESCALATIONS = [Step.ESCALATE_AGENCY, Step.ESCALATE_PARENT, Step.ESCALATE_NATIONAL]

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="steps")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="clock_steps")
    step = models.CharField(max_length=20, choices=Step.choices)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("eskalasi")
        verbose_name_plural = _("eskalasi")
        constraints = [models.UniqueConstraint(fields=["report", "clock", "step"], name="clock_step_once")]
        indexes = [models.Index(fields=["step", "created_at"], name="clockstep_step_created")]

    def __str__(self):
        return f"{self.clock_id} {self.step}"


def _agency_chain_ids(agency) -> list[int]:
    return path_ids(agency.path) if agency else []


class ClockLimitQuerySet(models.QuerySet):
    def limit_for(self, kind: str, report: "Report", agency=None) -> tuple[int, bool]:
        """The most specific limit: the agency (or its nearest ancestor) and classification first."""
        return _best_limit(self.all(), kind, report, agency)


def _best_limit(rows, kind: str, report: "Report", agency) -> tuple[int, bool]:
    classification = report.classification
    complaint_kind = "formal" if report.is_formal_info_request else report.complaint_kind
    chain = _agency_chain_ids(agency)
    best, best_rank = None, None
    for row in rows:
        if (
            row.kind != kind
            or row.classification not in (classification, "")
            or row.complaint_kind not in (complaint_kind, "")
            or (row.agency_id is not None and row.agency_id not in chain)
        ):
            continue
        depth = chain.index(row.agency_id) + 1 if row.agency_id else 0
        rank = (depth, bool(row.classification), bool(row.complaint_kind))
        if best_rank is None or rank > best_rank:
            best, best_rank = row, rank
    if best is not None:
        return best.days, best.calendar_days
    return default_limit(kind, classification, complaint_kind)


def limit_of(kind: str, report: "Report", agency=None) -> tuple[int, bool]:
    """ClockLimit.objects.limit_for from the limits kept in memory (lapor/refcache: reference data)."""
    return _best_limit(refcache.get("clock-limits", lambda: list(ClockLimit.objects.all())), kind, report, agency)


def calendar_of(agency=None) -> "WorkCalendar":
    """CalendarDay.objects.calendar_for from the decrees kept in memory (lapor/refcache)."""
    return refcache.get("calendar-book", lambda: CalendarDay.objects.book()).for_agency(agency)


class ClockLimit(models.Model):
    """An override of a default deadline (deadlines.DEFAULT_LIMITS) per classification and/or agency."""

    kind = models.CharField(_("jenis tenggat"), max_length=16, choices=ClockKind)
    classification = models.CharField(_("klasifikasi"), max_length=16, choices=Classification, blank=True)
    complaint_kind = models.CharField(_("jenis pengaduan"), max_length=16, choices=ComplaintKind, blank=True)
    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), null=True, blank=True, on_delete=models.CASCADE)
    days = models.PositiveSmallIntegerField(_("batas (hari)"))
    calendar_days = models.BooleanField(_("hari kalender"), default=False)

    objects = ClockLimitQuerySet.as_manager()

    class Meta:
        verbose_name = _("batas waktu")
        verbose_name_plural = _("batas waktu")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "classification", "complaint_kind", "agency"],
                name="clock_limit_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.days}"


class CalendarBook:
    """The working calendars of many agencies from one read of CalendarDay, made on first use (a sweep,
    a recomputation or a statistics rebuild meets thousands of agencies): the same calendars as
    `calendar_for`. Keep one book per run: it does not see decrees entered after its read."""

    def __init__(self, days: models.QuerySet):
        self._days = days
        self._rows: list[tuple] | None = None  # (date, kind, agency_id)
        self._cache: dict[int | None, WorkCalendar] = {}
        self._agencies: dict[int, tuple[str, str]] = {}  # id → (time zone, path), for for_agency_id

    def get(self, agency_id: int | None, tz: str, path: str) -> WorkCalendar:
        if agency_id not in self._cache:
            if self._rows is None:
                self._rows = list(self._days.values_list("date", "kind", "agency_id"))
            chain = set(path_ids(path))
            mine = [(day, kind) for day, kind, owner in self._rows if owner is None or owner in chain]
            holidays = {day for day, kind in mine if kind == CalendarDay.Kind.HOLIDAY}
            workdays = {day for day, kind in mine if kind == CalendarDay.Kind.WORKDAY} - holidays
            self._cache[agency_id] = WorkCalendar.for_zone(tz, holidays, workdays)
        return self._cache[agency_id]

    def for_agency(self, agency) -> WorkCalendar:
        if agency is None:
            return self.get(None, settings.TIME_ZONE, "")
        return self.get(agency.pk, agency.timezone, agency.path)

    def load_agencies(self, ids) -> None:
        """Read the time zones and paths of these agencies (one query) for for_agency_id."""
        missing = set(ids) - set(self._agencies) - {None}
        if missing:
            for pk, tz, path in Agency.objects.filter(pk__in=missing).values_list("pk", "timezone", "path"):
                self._agencies[pk] = (tz, path)

    def for_agency_id(self, agency_id: int | None) -> WorkCalendar:
        """The calendar of an agency passed to load_agencies (unknown ids get the national one)."""
        tz, path = self._agencies.get(agency_id, (settings.TIME_ZONE, ""))
        return self.get(agency_id, tz, path)


class CalendarDayQuerySet(models.QuerySet):
    def book(self) -> CalendarBook:
        return CalendarBook(self)

    def calendar_for(self, agency=None) -> WorkCalendar:
        """The working calendar of an agency: national decrees plus its own and its ancestors'."""
        own = self.filter(Q(agency__isnull=True) | Q(agency_id__in=_agency_chain_ids(agency)))
        return own.book().for_agency(agency)


class CalendarDay(models.Model):
    """A decree the holidays package does not know: cuti bersama, a regional holiday, or a cancelled one."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Hari libur / cuti bersama")
        WORKDAY = "workday", _("Hari kerja (libur dibatalkan)")

    date = models.DateField(_("tanggal"))
    kind = models.CharField(_("jenis"), max_length=8, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(_("keterangan"), max_length=120)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("khusus instansi"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Kosongkan untuk berlaku nasional; isi untuk libur daerah (berlaku juga bagi unit di bawahnya)."),
    )

    objects = CalendarDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("hari kalender")
        verbose_name_plural = _("kalender kerja")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "agency"], name="calendar_day_unique", nulls_distinct=False)
        ]

    def __str__(self):
        return f"{self.date} {self.name}"


class Comment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(_("komentar"), max_length=2000)
    is_hidden = models.BooleanField(_("disembunyikan"), default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("komentar")
        verbose_name_plural = _("komentar")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["report", "created_at"], name="comment_report")]

    def __str__(self):
        return self.body[:50]

    @classmethod
    def add(cls, report: Report, author, body: str) -> "Comment":
        """A public comment, counted in the report's comment_count in the same transaction."""
        with transaction.atomic():
            comment = cls.objects.create(report=report, author=author, body=body)
            Report.objects.filter(pk=report.pk).update(comment_count=F("comment_count") + 1)
            page_cache.report_changed()
        return comment

    def set_hidden(self, hidden: bool, *, by) -> bool:
        """Hide the comment from the public page (or show it again), keeping the report's public
        comment count in step; returns whether anything changed."""
        delta = -1 if hidden else 1
        with transaction.atomic():
            changed = Comment.objects.filter(pk=self.pk, is_hidden=not hidden).update(
                is_hidden=hidden, hidden_by=by if hidden else None
            )
            if changed:
                reports = Report.objects.filter(pk=self.report_id)
                if hidden:
                    reports = reports.filter(comment_count__gt=0)
                reports.update(comment_count=F("comment_count") + delta)
                page_cache.report_changed()
        self.is_hidden, self.hidden_by = hidden, by if hidden else None
        return bool(changed)


class Support(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dukungan")
        verbose_name_plural = _("dukungan")
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="support_once")]

    def __str__(self):
        return f"{self.user_id} → {self.report_id}"

    @classmethod
    def add(cls, report: Report, user, *, follow: bool = False) -> bool:
        """Record `user`'s support once, counted in the report's support_count; False if they already had.
        `follow`: they also follow the report (they supported it instead of filing the same problem)."""
        if follow and report.reporter_id != user.pk:
            Follow.objects.get_or_create(report=report, user=user, defaults={"via": Follow.Via.SUPPORT})
        try:
            with transaction.atomic():
                cls.objects.create(report=report, user=user)
                Report.objects.filter(pk=report.pk).update(support_count=F("support_count") + 1)
                page_cache.report_changed()
        except IntegrityError:
            return False
        return True


class Follow(models.Model):
    """A citizen who follows a public report they did not file: they supported it instead of filing
    the same problem again, or their own report was merged into it as a duplicate. Followers are told
    of its public steps (notifications.recipients)."""

    class Via(models.TextChoices):
        SUPPORT = "support", _("Mendukung laporan ini")
        MERGE = "merge", _("Laporannya digabungkan ke laporan ini")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    via = models.CharField(max_length=8, choices=Via.choices)
    # The duplicate whose merge made its reporter follow (unmerge removes exactly these).
    source = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pengikut laporan")
        verbose_name_plural = _("pengikut laporan")
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="follow_once")]

    def __str__(self):
        return f"{self.user_id} → {self.report_id} ({self.via})"


class ResponseTemplate(models.Model):
    agency = models.ForeignKey(
        Agency, verbose_name=_("instansi"), on_delete=models.CASCADE, related_name="response_templates"
    )
    title = models.CharField(_("judul"), max_length=120)
    body = models.TextField(_("isi"))

    class Meta:
        verbose_name = _("templat jawaban")
        verbose_name_plural = _("templat jawaban")
        ordering = ["title"]

    def __str__(self):
        return self.title


class Notification(models.Model):
    """A message to one user, shown on the site and mailed. Written in the action's transaction (an
    outbox): if the broker is down, deliver_pending_notifications sends it later."""

    # Looked up through notification_user (user, -created_at).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("notifikasi")
        verbose_name_plural = _("notifikasi")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # A user's notification list.
            models.Index(fields=["user", "-created_at"], name="notification_user"),
            # The outbox sweep: mail not yet sent.
            models.Index(fields=["created_at"], name="notification_outbox", condition=Q(email_sent_at__isnull=True)),
            # The navigation's unread badge on every signed-in page (notifications.unread_expression, read
            # with the request's user): up to 100 entries of this index, without visiting the table.
            models.Index(fields=["user"], name="notification_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self):
        return self.subject


def _new_token() -> str:
    return secrets.token_hex(16)


def export_path(instance, filename):
    return f"exports/{instance.created_at:%Y/%m}/{instance.token}/{filename}"


class ExportJob(models.Model):
    """A report list export too large to build during the request: built by a Celery task
    (complaints.exports.build), with its progress, kept privately for its owner only."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class State(models.TextChoices):
        PENDING = "pending", _("Menunggu giliran")
        RUNNING = "running", _("Sedang dibuat")
        DONE = "done", _("Siap diunduh")
        FAILED = "failed", _("Gagal")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True, default=_new_token, editable=False)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    # The admin list's filters (its query string): the task rebuilds the list through the admin, so the
    # export has exactly the list's scope, filters and redaction.
    query = models.TextField(blank=True)
    # The agency its owner acted for (agencies.roles: a person with roles in several agencies).
    acting_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=8)
    state = models.CharField(_("keadaan"), max_length=8, choices=State.choices, default=State.PENDING)
    total = models.PositiveIntegerField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=private_storage, upload_to=export_path, max_length=200, blank=True)
    error = models.CharField(max_length=20, blank=True)  # a code of complaints.exports.ERRORS
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The build writes a heartbeat as it goes; a running job without one for
    # LAPOR_EXPORT_STALE_SECONDS lost its worker and is retried or failed (exports.reap_stale).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("ekspor")
        verbose_name_plural = _("ekspor")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="export_user_recent")]

    def __str__(self):
        return f"{self.user_id} {self.format} {self.state}"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state == self.State.DONE else None
        return min(100, self.done * 100 // self.total)

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.PENDING, self.State.RUNNING)

    @property
    def filename(self) -> str:
        return f"laporan-{timezone.localtime(self.created_at):%Y%m%d-%H%M}.{self.format}"


class StatusCount(models.Model):
    """Reports per status, kept by the workflow in the transaction of every status change: rows of
    +1/-1 appended (never updated, so concurrent actions do not wait for one another), summed on
    read and folded into one row per status from time to time (complaints/status_counts.py)."""

    status = models.CharField(max_length=16)
    n = models.BigIntegerField()

    class Meta:
        verbose_name = _("jumlah per status")
        verbose_name_plural = _("jumlah per status")

    def __str__(self):
        return f"{self.status}: {self.n:+d}"


class AuditChain(models.Model):
    """The head of one hash chain of the audit trail (lapor/audit.py). Appending to a chain locks
    its row: the serialisation point of that chain's writers."""

    name = models.CharField(max_length=16, primary_key=True)
    head = models.CharField(max_length=64, blank=True, default="")
    last_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("rantai audit")
        verbose_name_plural = _("rantai audit")

    def __str__(self):
        return self.name


class IdentityAccess(models.Model):
    """One deliberate look at an Anonim reporter's identity (break-glass): who, which report, why,
    when. Append-only and hash-chained; the other national admins are told of each one."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="+", verbose_name=_("laporan"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("petugas")
    )
    reason = models.TextField(_("alasan"))
    created_at = models.DateTimeField(_("waktu"), default=timezone.now)
    prev_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("akses identitas pelapor")
        verbose_name_plural = _("akses identitas pelapor")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["report", "created_at"], name="identity_access_report")]

    def __str__(self):
        return f"{self.user_id} → {self.report_id} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Identity accesses are append-only")
        from lapor import audit

        audit.append(
            self, audit.IDENTITY_CHAIN, lambda **extra: super(IdentityAccess, self).save(*args, **{**kwargs, **extra})
        )

    def delete(self, *args, **kwargs):
        raise ValueError("Identity accesses are append-only")


class RoutingModel(models.Model):
    """One trained version of the routing model (complaints.routing_model): a joblib artifact."""

    created_at = models.DateTimeField(_("dilatih"), default=timezone.now)
    trained_on = models.PositiveIntegerField(_("jumlah laporan latih"))
    categories = models.PositiveIntegerField(_("jumlah kategori"))
    seconds = models.FloatField(_("lama pelatihan (detik)"), default=0)
    sha256 = models.CharField(max_length=64)
    artifact = models.BinaryField()

    class Meta:
        verbose_name = _("model disposisi")
        verbose_name_plural = _("model disposisi")
        ordering = ["-pk"]

    def __str__(self):
        return f"v{self.pk} ({self.trained_on})"


class RoutingSuggestion(models.Model):
    """What the model suggested for a report at verification, and whether the verifier took it: the
    category chosen at verification, the agency of the first dispatch (routing_accuracy's acceptance)."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="routing_suggestion")
    model = models.ForeignKey(RoutingModel, null=True, on_delete=models.SET_NULL, related_name="+")
    categories = models.JSONField(default=list)  # [[category id, confidence], ...], best first
    agencies = models.JSONField(default=list)  # [[agency id, confidence], ...], best first
    created_at = models.DateTimeField(default=timezone.now)
    category_accepted = models.BooleanField(null=True)
    agency_accepted = models.BooleanField(null=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("saran disposisi")
        verbose_name_plural = _("saran disposisi")

    def __str__(self):
        return f"{self.report_id} v{self.model_id}"


class InternalTarget(models.Model):
    """An agency's own, shorter target for answering a classification (its SOP): shown beside the legal
    deadline, never replacing it — the clocks, reminders and escalation keep the legal one."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("instansi"), on_delete=models.CASCADE, related_name="internal_targets"
    )
    classification = models.CharField(_("klasifikasi"), max_length=16, choices=Classification)
    days = models.PositiveSmallIntegerField(_("target internal (hari kerja)"))

    class Meta:
        verbose_name = _("target internal")
        verbose_name_plural = _("target internal")
        constraints = [
            models.UniqueConstraint(fields=["agency", "classification"], name="internal_target_unique"),
        ]

    def __str__(self):
        return f"{self.agency}: {self.get_classification_display()} {self.days}"


class MapCell(models.Model):
    """The public map's counts per grid cell, for wide views without filters (complaints.places): the
    public reports with a pin, counted per cell of `size` degrees (0.01, 0.1 and 1), with the sums of
    their *public* coordinates (an Anonim pin coarsened) for the clusters' centres. Rebuilt whole by
    places.refresh_map_cells (beat, every 15 minutes); never edited."""

    size = models.DecimalField(max_digits=4, decimal_places=2)
    row = models.IntegerField()
    col = models.IntegerField()
    count = models.IntegerField()
    sum_lat = models.FloatField()
    sum_lng = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["size", "row", "col"], name="map_cell_unique")]

    def __str__(self):
        return f"{self.size}° {self.row},{self.col}: {self.count}"


class MapFacet(models.Model):
    """The public map's counts per grid cell for wide views *with* a filter (complaints.places): like
    MapCell at the 0.1° and 1° sizes, split by the reports' province and by one filter dimension at a
    time (`facet`: classification, category, status or regency; `value` the report's value, "" for
    none). A filter on one of these, with or without a province, is answered by summing a few
    rows. Rebuilt whole with MapCell by places.refresh_map_cells; never edited."""

    class Facet(models.TextChoices):
        CLASSIFICATION = "k", "klasifikasi"
        CATEGORY = "c", "kategori"
        STATUS = "s", "status"
        REGENCY = "r", "kabupaten"

    size = models.DecimalField(max_digits=4, decimal_places=2)
    facet = models.CharField(max_length=1, choices=Facet.choices)
    value = models.CharField(max_length=20)
    province = models.CharField(max_length=13)
    row = models.IntegerField()
    col = models.IntegerField()
    count = models.IntegerField()
    sum_lat = models.FloatField()
    sum_lng = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["size", "facet", "value", "province", "row", "col"], name="map_facet_unique"
            )
        ]

    def __str__(self):
        return f"{self.size}° {self.facet}={self.value} {self.province} {self.row},{self.col}: {self.count}"
