"""Pre-aggregated figures, written only by dashboards.aggregation and read by the dashboards.

One row per local day (Asia/Jakarta) and combination of dimensions. A fact counts on the day it
happened, for the agency that was responsible at that moment (see aggregation.py for each counter).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, District, Region
from complaints.models import Category, Channel, Classification

# Counters of DailyStat, in the order of the exports.
COUNTERS = [
    "received",
    "verified",
    "dispatched",
    "followed_up",
    "responded",
    "completed",
    "auto_completed",
    "archived",
    "removed",
    "reopened",
    "bounced",
    "escalated",
    "staff_actions",
    "ver_due",
    "ver_met",
    "ffu_due",
    "ffu_met",
    "res_due",
    "res_met",
    "rating_sum",
    "rating_count",
    "rating_ge4",
]


class StatDimensions(models.Model):
    """The dimensions every figure can be cut by."""

    date = models.DateField(_("tanggal"))
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    province = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    regency = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The report's kecamatan (#18): the dashboards' district filter and figures by district.
    kecamatan = models.ForeignKey(District, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    classification = models.CharField(max_length=16, choices=Classification.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    confidential = models.BooleanField(default=False)

    class Meta:
        abstract = True


class DailyStat(StatDimensions):
    received = models.PositiveIntegerField(_("diterima"), default=0)
    verified = models.PositiveIntegerField(_("diverifikasi"), default=0)
    dispatched = models.PositiveIntegerField(_("didisposisikan"), default=0)
    followed_up = models.PositiveIntegerField(_("tindak lanjut pertama"), default=0)
    responded = models.PositiveIntegerField(_("jawaban diterbitkan"), default=0)
    completed = models.PositiveIntegerField(_("selesai"), default=0)
    auto_completed = models.PositiveIntegerField(_("selesai otomatis"), default=0)
    archived = models.PositiveIntegerField(_("diarsipkan"), default=0)
    removed = models.PositiveIntegerField(_("dihapus"), default=0)
    reopened = models.PositiveIntegerField(_("dibuka kembali"), default=0)
    bounced = models.PositiveIntegerField(_("dikembalikan/dialihkan"), default=0)
    escalated = models.PositiveIntegerField(_("eskalasi"), default=0)
    staff_actions = models.PositiveIntegerField(_("tindakan admin"), default=0)
    # Agency clocks that ended on this day (met or missed) and those met: the "on time" shares.
    ver_due = models.PositiveIntegerField(default=0)
    ver_met = models.PositiveIntegerField(default=0)
    ffu_due = models.PositiveIntegerField(default=0)
    ffu_met = models.PositiveIntegerField(default=0)
    res_due = models.PositiveIntegerField(default=0)
    res_met = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    rating_ge4 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("statistik harian")
        verbose_name_plural = _("statistik harian")
        indexes = [
            # Dashboards: a period, optionally narrowed to an agency subtree (joined on Agency.path).
            models.Index(fields=["date", "agency"], name="dailystat_date_agency"),
            # A subtree's period (figures.in_scope: agency_id = ANY(the subtree's ids)): each agency's rows of
            # the period, not the country's rows of the period filtered by agency.
            models.Index(fields=["agency", "date"], name="dailystat_agency_date"),
            # Rebuild: delete one day.
            models.Index(fields=["date"], name="dailystat_date"),
        ]

    def __str__(self):
        return f"{self.date} {self.agency_id} {self.classification}"


class DurationStat(StatDimensions):
    """A histogram of working days: `count` facts on `date` took `days` working days (61 = more than 60).

    Medians and percentiles of any cut are read from the summed histogram (SUM(count) GROUP BY days)."""

    class Measure(models.TextChoices):
        VERIFY = "verify", _("Hari kerja sampai verifikasi")
        FIRST_ANSWER = "first_answer", _("Hari kerja sampai tindak lanjut pertama")
        COMPLETE = "complete", _("Hari kerja sampai selesai")

    measure = models.CharField(max_length=16, choices=Measure.choices)
    days = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("sebaran durasi")
        verbose_name_plural = _("sebaran durasi")
        indexes = [
            models.Index(fields=["date", "agency"], name="durationstat_date_agency"),
            # A subtree's period (as DailyStat's), its histogram read from the index alone (figures.compute).
            models.Index(
                fields=["agency", "date"], include=["measure", "days", "count"], name="durationstat_agency_date_cover"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.measure} {self.days}: {self.count}"


class StatDay(models.Model):
    """When a statistics day was last rebuilt: the figures read from it count every event up to then."""

    date = models.DateField(_("tanggal"), primary_key=True)
    built_at = models.DateTimeField(_("dihitung ulang pada"))

    class Meta:
        verbose_name = _("hari statistik")
        verbose_name_plural = _("hari statistik")

    def __str__(self):
        return f"{self.date} @ {self.built_at:%Y-%m-%d %H:%M}"
