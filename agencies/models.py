from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TIMEZONES = [
    ("Asia/Jakarta", _("WIB (Asia/Jakarta)")),
    ("Asia/Makassar", _("WITA (Asia/Makassar)")),
    ("Asia/Jayapura", _("WIT (Asia/Jayapura)")),
]


class Region(models.Model):
    """A province or regency/city with its Kemendagri code (51 Bali, 51.03 Kabupaten Badung)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Provinsi")
        REGENCY = "regency", _("Kabupaten/Kota")

    code = models.CharField(_("kode Kemendagri"), max_length=13, primary_key=True)
    name = models.CharField(_("nama"), max_length=120)
    level = models.CharField(_("tingkat"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("provinsi"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    timezone = models.CharField(_("zona waktu"), max_length=32, choices=TIMEZONES, default="Asia/Jakarta")
    # The box around the regency's reference points (agencies/data/README.md: GeoNames towns and
    # idn-area-data islands; empty where the sources have none).
    lat_min = models.FloatField(null=True, blank=True, editable=False)
    lng_min = models.FloatField(null=True, blank=True, editable=False)
    lat_max = models.FloatField(null=True, blank=True, editable=False)
    lng_max = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def box(self) -> tuple[float, float, float, float] | None:
        if self.lat_min is None:
            return None
        return (self.lat_min, self.lng_min, self.lat_max, self.lng_max)


class RegionPoint(models.Model):
    """A named place of a regency (a GeoNames town or an idn-area-data island), or of a province where the
    source names no regency: a map pin fills an empty region choice with the region of the nearest one
    (complaints.places.region_for_point). Reference data, loaded by load_reference."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="points")
    latitude = models.FloatField()
    longitude = models.FloatField()
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10)

    class Meta:
        indexes = [models.Index(fields=["latitude", "longitude"], name="regionpoint_lat_lng")]

    def __str__(self):
        return self.name


class District(models.Model):
    """A kecamatan with its Kemendagri code (51.03.01 Kuta, in 51.03 Kabupaten Badung)."""

    code = models.CharField(_("kode Kemendagri"), max_length=8, primary_key=True)
    name = models.CharField(_("nama"), max_length=120)
    regency = models.ForeignKey(
        Region, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="districts"
    )

    class Meta:
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Village(models.Model):
    """A kelurahan or desa with its Kemendagri code (51.03.01.1001, in 51.03.01 Kuta)."""

    code = models.CharField(_("kode Kemendagri"), max_length=13, primary_key=True)
    name = models.CharField(_("nama"), max_length=120)
    district = models.ForeignKey(
        District, verbose_name=_("kecamatan"), on_delete=models.PROTECT, related_name="villages"
    )

    class Meta:
        verbose_name = _("kelurahan/desa")
        verbose_name_plural = _("kelurahan/desa")
        ordering = ["code"]

    def __str__(self):
        return self.name


def in_subtrees(agencies, via: str = "") -> models.Q:
    """The one rule of "inside an agency's subtree", as a filter: the agency reached through `via`
    (a relation such as "agency" or "clock__agency"; "" for an Agency queryset itself) is one of
    `agencies` or below one of them — its materialized path starts with theirs, one indexed prefix
    range each. No agencies: nothing. Agency.is_in_subtree_of is the same rule for a loaded agency."""
    q = models.Q(pk__in=[])
    for agency in agencies:
        q |= under_path(agency.path, via)
    return q


def under_path(path: str, via: str = "") -> models.Q:
    """The subtree whose root has the materialized path `path` (in_subtrees for one path; Agency.save
    uses it with a moved agency's old path)."""
    return models.Q(**{f"{via}__path__startswith" if via else "path__startswith": path})


class AgencyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def subtree_of(self, agency):
        """The agency and every agency below it (materialized path prefix)."""
        return self.filter(in_subtrees([agency]))

    def subtrees_of(self, agencies):
        return self.filter(in_subtrees(agencies))


def path_ids(path: str) -> list[int]:
    """The agency ids of a materialized path ("0000103.0005395." → [103, 5395]), root first."""
    return [int(part) for part in path.split(".") if part]


class Approval(models.TextChoices):
    APPROVED = "approved", _("Disetujui")
    PENDING = "pending", _("Menunggu persetujuan")
    REJECTED = "rejected", _("Ditolak")


class Agency(models.Model):
    """A node of the government tree: coordinator → K/L → province → regency → OPD → unit."""

    class Kind(models.TextChoices):
        COORDINATOR = "coordinator", _("Koordinator nasional")
        MINISTRY = "ministry", _("Kementerian/Lembaga")
        VERTICAL = "vertical", _("Instansi vertikal")
        PROVINCE = "province", _("Pemerintah provinsi")
        REGENCY = "regency", _("Pemerintah kabupaten/kota")
        OPD = "opd", _("Perangkat daerah (OPD)")
        UNIT = "unit", _("Unit kerja")

    code = models.SlugField(_("kode"), max_length=64, unique=True)
    name = models.CharField(_("nama"), max_length=255)
    kind = models.CharField(_("jenis"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("induk"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialized path ("0000012.0000345.") so a whole subtree is one indexed prefix query
    # (access.reports_visible_to, dashboards); on PostgreSQL db_index adds the LIKE index too.
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    region = models.ForeignKey(
        Region, verbose_name=_("wilayah"), null=True, blank=True, on_delete=models.PROTECT, related_name="agencies"
    )
    timezone = models.CharField(_("zona waktu"), max_length=32, choices=TIMEZONES, default="Asia/Jakarta")
    answers_need_approval = models.BooleanField(
        _("jawaban perlu persetujuan"),
        default=False,
        help_text=_("Jawaban unit kerja diterbitkan setelah disetujui Pejabat Penghubung."),
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    # A new top-level agency proposed by somebody other than a national admin waits, inactive (so out of
    # routing, dispatch and every picker), until a national admin approves it (agencies/units.py).
    approval = models.CharField(
        _("persetujuan"), max_length=10, choices=Approval, default=Approval.APPROVED,
        db_default=Approval.APPROVED,
    )  # fmt: skip

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("instansi")
        verbose_name_plural = _("instansi")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        with transaction.atomic():
            if self.pk is None:
                super().save(*args, **kwargs)
                kwargs.pop("force_insert", None)
            old_path = self.path
            prefix = self.parent.path if self.parent_id else ""
            self.path = f"{prefix}{self.pk:07d}."
            self.depth = self.path.count(".") - 1
            super().save(*args, **{**kwargs, "force_insert": False})
            if old_path and old_path != self.path:
                # Moved: rewrite the descendants' paths (and depths) in one statement.
                Agency.objects.filter(under_path(old_path)).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", len(old_path) + 1)),
                    depth=F("depth") + (self.path.count(".") - old_path.count(".")),
                )

    def ancestors(self):
        """From the root down to the parent, in one query."""
        return list(Agency.objects.filter(pk__in=path_ids(self.path)[:-1]).order_by("depth"))

    def is_in_subtree_of(self, other) -> bool:
        """Whether this agency is `other` or below it (the rule of in_subtrees, for loaded agencies)."""
        return bool(other and self.path.startswith(other.path))

    def is_in_any_subtree_of(self, agencies) -> bool:
        return any(self.is_in_subtree_of(other) for other in agencies)


class Role(models.TextChoices):
    NATIONAL_ADMIN = "national_admin", _("Admin Nasional")
    AGENCY_ADMIN = "agency_admin", _("Admin Instansi")
    UNIT_ADMIN = "unit_admin", _("Admin Unit Kerja")
    LIAISON_OFFICER = "liaison_officer", _("Pejabat Penghubung")
    HEAD = "head", _("Pimpinan")
    SUPERVISOR = "supervisor", _("Pengawas")
    DEVELOPER = "developer", _("Developer")


class Membership(models.Model):
    """Who works where, in which role (DESIGN.md "Who uses it")."""

    Role = Role

    NATIONAL_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.SUPERVISOR})
    # Who works on a report at the agency holding it: told when it arrives, the first step of its
    # escalation, and who may record an off-platform report for their subtree (workflow.ENTRY_ROLES).
    HANDLER_ROLES = frozenset({Role.AGENCY_ADMIN, Role.UNIT_ADMIN})

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pengguna"), on_delete=models.CASCADE, related_name="memberships"
    )
    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("peran"), max_length=20, choices=Role)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("keanggotaan")
        verbose_name_plural = _("keanggotaan")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]
        indexes = [
            # Escalation and notifications: "the admins of agency X".
            models.Index(fields=["agency", "role"], name="membership_agency_role"),
            # A submission's recipients (complaints.notifications._SUBMIT_STAFF): its "every national
            # admin" arm, so the query is a BitmapOr of three index reads, not a scan of every membership.
            models.Index(fields=["role"], name="membership_role"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} — {self.agency}"


class Sandbox(models.Model):
    """A training sandbox (Bimtek) of one agency: practice reports (Report.sandbox) and the trainees
    who work them (TrainingSeat). Nothing in it reaches the public, the statistics, the API or a
    citizen; closing it deletes it whole (complaints/sandbox.py)."""

    agency = models.OneToOneField(Agency, verbose_name=_("instansi"), on_delete=models.CASCADE, related_name="sandbox")
    name = models.CharField(_("nama pelatihan"), max_length=150)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dibuka oleh"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    opened_at = models.DateTimeField(_("dibuka"), auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox pelatihan")
        verbose_name_plural = _("sandbox pelatihan")

    def __str__(self):
        return f"{self.name} — {self.agency}"


class TrainingSeat(models.Model):
    """A trainee's role inside a sandbox: it counts for the sandbox's practice reports only, never
    for a real report (complaints/access.py), and nobody is notified through it of a real one."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_seats")
    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("peran"), max_length=20, choices=Role)

    class Meta:
        verbose_name = _("peserta pelatihan")
        verbose_name_plural = _("peserta pelatihan")
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "user", "agency", "role"], name="training_seat_unique"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} — {self.agency}"


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


def decree_path(instance, filename):
    return f"decrees/{instance.agency_id}/{filename}"


class SealedAppendOnly(models.Model):
    """A row that is written once and sealed into its chain of the audit trail (lapor/audit.py):
    subclasses name `chain` and the message refusing an edit."""

    chain: str
    append_only_message: str

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(self.append_only_message)
        from lapor import audit

        audit.append(self, self.chain, lambda **extra: super(SealedAppendOnly, self).save(*args, **{**kwargs, **extra}))


class Appointment(SealedAppendOnly):
    """One staffing step by decree (SK pengelola): a role given, changed or taken back, or an account
    deactivated; with the decree's number, date and optional PDF. Append-only and sealed into the
    tamper-evident audit trail (lapor/audit.py, chain "staff")."""

    class Action(models.TextChoices):
        INVITE = "invite", _("Undangan dengan peran")
        GRANT = "grant", _("Pemberian peran")
        CHANGE = "change", _("Perubahan peran")
        REVOKE = "revoke", _("Pencabutan peran")
        DEACTIVATE = "deactivate", _("Penonaktifan akun")

    action = models.CharField(_("tindakan"), max_length=12, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pegawai"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="appointments",
    )  # fmt: skip
    email = models.EmailField(_("e-mail"), blank=True)  # an invitation's, before the account exists
    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("peran"), max_length=20, choices=Role, blank=True)
    previous_role = models.CharField(_("peran sebelumnya"), max_length=20, choices=Role, blank=True)
    decree_number = models.CharField(_("nomor SK"), max_length=120)
    decree_date = models.DateField(_("tanggal SK"))
    decree_file = models.FileField(
        _("berkas SK (PDF)"), storage=_private_storage, upload_to=decree_path, max_length=200, blank=True
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("oleh"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("waktu"), default=timezone.now)
    prev_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("pengangkatan (SK)")
        verbose_name_plural = _("pengangkatan (SK)")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.user or self.email} — {self.agency} ({self.decree_number})"

    chain = "staff"  # lapor.audit.STAFF_CHAIN
    append_only_message = "Appointments are append-only"


class AgencyChange(SealedAppendOnly):
    """One change to the agency tree (a unit added, renamed, retired or moved; a top-level agency
    proposed, approved or rejected) or a coordinator's reminder to an agency. Append-only and sealed
    into the tamper-evident audit trail (lapor/audit.py, chain "agency"). A reminder carries the day it
    was sent on (Asia/Jakarta): one per agency per day is a unique constraint."""

    class Action(models.TextChoices):
        ADD = "add", _("Unit ditambahkan")
        RENAME = "rename", _("Unit diganti nama")
        RETIRE = "retire", _("Unit dinonaktifkan")
        MOVE = "move", _("Unit dipindahkan")
        PROPOSE = "propose", _("Instansi tingkat atas diusulkan")
        APPROVE = "approve", _("Instansi disetujui")
        REJECT = "reject", _("Instansi ditolak")
        REMIND = "remind", _("Instansi diingatkan")

    action = models.CharField(_("tindakan"), max_length=10, choices=Action.choices)
    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), on_delete=models.PROTECT, related_name="changes")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("oleh"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    reminded_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("waktu"), default=timezone.now)
    prev_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("perubahan instansi")
        verbose_name_plural = _("perubahan instansi")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Other actions leave reminded_on empty (NULLs are distinct): only reminders are limited.
            models.UniqueConstraint(fields=["agency", "reminded_on"], name="agency_reminder_once_a_day"),
        ]

    def __str__(self):
        return f"{self.get_action_display()}: {self.agency}"

    chain = "agency"  # lapor.audit.AGENCY_CHAIN
    append_only_message = "Agency changes are append-only"


class Invitation(models.Model):
    """An e-mailed, single-use link that lets a new staff member set a password (then enrol the second
    factor) and gives them the role the appointment names."""

    email = models.EmailField(_("e-mail"))
    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("peran"), max_length=20, choices=Role)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("undangan staf")
        verbose_name_plural = _("undangan staf")

    def __str__(self):
        return f"{self.email} — {self.get_role_display()} — {self.agency}"
