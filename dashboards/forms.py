import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from .aggregation import stats_date

MAX_PERIOD_DAYS = 731


class PeriodForm(forms.Form):
    PRESETS = [("", _("Pilih rentang…")), ("30d", _("30 hari terakhir")), ("year", _("Tahun ini"))]

    preset = forms.ChoiceField(label=_("Rentang cepat"), choices=PRESETS, required=False)
    start = forms.DateField(label=_("Dari tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Sampai tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("Tanggal akhir tidak boleh sebelum tanggal awal."))
            elif (end - start).days >= MAX_PERIOD_DAYS:
                self.add_error("start", _("Rentang paling panjang 2 tahun."))
        return data

    def period(self, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
        """The chosen period; the last 30 days when nothing valid was chosen."""
        today = today or stats_date(dt.datetime.now(dt.UTC))
        default = (today - dt.timedelta(days=29), today)
        if not self.is_bound or not self.is_valid():
            return default
        data = self.cleaned_data
        if data.get("preset") == "year":
            return dt.date(today.year, 1, 1), today
        if data.get("preset") == "30d":
            return default
        start, end = data.get("start"), data.get("end")
        if start or end:
            end = end or today
            start = start or max(end - dt.timedelta(days=29), dt.date.min)
            return start, end
        return default
