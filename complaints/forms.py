"""The citizen's report form (laporan/baru/ and the home page)."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import secrets
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, District, Village
from lapor import refcache

from . import places, workflow
from .models import Classification, reference_objects
from .uploads import MAX_FILES, AttachmentsField
from .widgets import use_fast_selects

AGENCY_SEARCH_LIMIT = 20
PLACE_SEARCH_LIMIT = 20
# Indonesia's bounding box, with a margin for the outer islands.
LATITUDE_RANGE = (Decimal("-11.5"), Decimal("6.5"))
LONGITUDE_RANGE = (Decimal("94.5"), Decimal("141.5"))

CLASSIFICATION_HELP = {
    Classification.COMPLAINT: _("Keluhan atas pelayanan publik yang tidak sesuai standar atau merugikan Anda."),
    Classification.ASPIRATION: _("Usulan atau saran untuk perbaikan pelayanan dan kebijakan publik."),
    Classification.INFORMATION: _("Permintaan data atau informasi publik dari instansi pemerintah."),
}


def classification_choices():
    return [
        (
            value,
            format_html("<strong>{}</strong> — <span class='text-muted'>{}</span>", label, CLASSIFICATION_HELP[value]),
        )
        for value, label in Classification.choices
    ]


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def search_agencies(query: str, limit: int = AGENCY_SEARCH_LIMIT):
    """Active agencies whose name contains every word of the query, shortest (most general) first."""
    words = [w for w in (query or "").split() if len(w) >= 2][:5]
    if not words:
        return Agency.objects.none()
    qs = Agency.objects.active()
    for word in words:
        qs = qs.filter(name__icontains=word)
    return qs.order_by("depth", "name")[:limit]


def search_places(query: str, regency_code: str = "", limit: int = PLACE_SEARCH_LIMIT):
    """(districts, villages) whose name contains every word of the query, inside the chosen regency
    when there is one: the search box of the report form (it works without JavaScript)."""
    words = [w for w in (query or "").split() if len(w) >= 2][:5]
    if not words:
        return [], []
    districts = District.objects.select_related("regency")
    villages = Village.objects.select_related("district__regency")
    if regency_code:
        districts = districts.filter(regency_id=regency_code)
        villages = villages.filter(district__regency_id=regency_code)
    for word in words:
        districts = districts.filter(name__icontains=word)
        villages = villages.filter(name__icontains=word)
    return list(districts.order_by("name", "code")[:limit]), list(villages.order_by("name", "code")[:limit])


def area_children(code: str) -> list[tuple[str, str]]:
    """(code, name) of the districts of a regency or the villages of a district, by name."""
    if code.count(".") == 1:
        return list(District.objects.filter(regency_id=code).order_by("name").values_list("code", "name"))
    if code.count(".") == 2:
        return list(Village.objects.filter(district_id=code).order_by("name").values_list("code", "name"))
    return []


def _reference() -> dict:
    """Provinces, regencies and active sub-categories by primary key (as strings), plus the grouped
    choices in each language: built once per worker and reference-data generation (lapor/refcache)."""

    def build():
        objects = reference_objects()  # the same objects the report lists use
        regions = sorted(objects["regions"].values(), key=lambda r: r.code)
        provinces = {r.code: r for r in regions if r.level == "province"}
        regencies = {r.code: r for r in regions if r.level != "province"}
        categories = sorted(
            (c for c in objects["categories"].values() if c.is_active), key=lambda c: (c.position, c.name)
        )
        return {
            "province": provinces,
            "regency": {code: r for code, r in regencies.items() if r.level == "regency"},
            "category": {str(c.pk): c for c in categories if c.parent_id is not None},
            "all_regencies": regencies,
            "categories": categories,
        }

    return refcache.get("report-form-reference", build)


def grouped_choices(language: str) -> tuple[list, list]:
    """Regencies grouped by province and categories by parent, as <optgroup> choices, in `language`."""

    def build():
        ref = _reference()
        provinces = {code: r.name for code, r in ref["province"].items()}
        regencies = {}
        for region in ref["all_regencies"].values():
            regencies.setdefault(region.parent_id, []).append((region.code, region.name))
        parents, children = {}, {}
        for cat in ref["categories"]:
            name = (cat.name_en if language == "en" else "") or cat.name
            if cat.parent_id is None:
                parents[cat.pk] = name
            else:
                children.setdefault(cat.parent_id, []).append((cat.pk, name))
        return (
            [(provinces.get(code, code), group) for code, group in regencies.items()],
            [(name, children[pk]) for pk, name in parents.items() if pk in children],
        )

    return refcache.get(f"report-form-choices:{language}", build)


def province_choices() -> list:
    return [(code, r.name) for code, r in _reference()["province"].items()]


class ReferenceField(forms.ChoiceField):
    """A region or category chosen by its key, checked against the reference data in memory and
    returned as its model instance: validating the form reads no table."""

    def __init__(self, *, kind: str, empty_label, **kwargs):
        self.kind, self.empty_label = kind, empty_label
        super().__init__(choices=(), **kwargs)

    def valid_value(self, value):
        return str(value) in _reference()[self.kind]

    def clean(self, value):
        value = super().clean(value)
        return _reference()[self.kind][str(value)] if value not in self.empty_values else None

    def prepare_value(self, value):
        return getattr(value, "pk", value)


def _with_empty(label, choices):
    return [("", label), *choices]


# The district/village inputs of every form where a report's place is entered (the citizen's form and
# the staff entry page): the same fields, choices and checks (places.check_areas).
def place_search_field():
    return forms.CharField(
        label=_("Cari kecamatan atau kelurahan/desa (opsional)"),
        required=False,
        max_length=100,
        help_text=_(
            "Ketik nama kecamatan atau kelurahan/desa lalu tekan Cari wilayah; tanpa nama, tombol itu "
            "menampilkan kecamatan dan kelurahan/desa dari pilihan Anda di atas."
        ),
    )


def address_field():
    """The free-text address or landmark (stored in Report.district), on the citizen's and the staff's forms."""
    return forms.CharField(
        label=_("Alamat atau patokan (opsional)"),
        max_length=120,
        required=False,
        help_text=_("Misalnya nama jalan, dusun atau bangunan terdekat."),
    )


def district_field():
    return forms.ModelChoiceField(
        label=_("Kecamatan (opsional)"),
        queryset=District.objects.select_related("regency__parent"),
        required=False,
        empty_label=_("— pilih kecamatan —"),
    )


def village_field():
    return forms.ModelChoiceField(
        label=_("Kelurahan/desa (opsional)"),
        queryset=Village.objects.select_related("district__regency__parent"),
        required=False,
        empty_label=_("— pilih kelurahan/desa —"),
    )


class AreaChoicesMixin:
    """The district and village selects list the children of the chosen regency and district, the
    search results and the current choice — never all 84,000 villages (the JavaScript cascade
    fetches the same lists from /laporan/wilayah/<code>/). Read when the form is shown, not when
    a valid submission is only checked. The form declares place_q, kecamatan and kelurahan."""

    def _value(self, name):
        return self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)

    def _area_choices(self):
        # Callables: a widget evaluates them when it renders (a list or iterable is read at once).
        self.fields["kecamatan"].widget.choices = lambda: [("", self.fields["kecamatan"].empty_label), *self._areas[0]]
        self.fields["kelurahan"].widget.choices = lambda: [("", self.fields["kelurahan"].empty_label), *self._areas[1]]

    @property
    def place_results(self) -> int:
        return self._areas[2]

    @functools.cached_property
    def _areas(self):
        regency = str(getattr(self._value("regency"), "pk", self._value("regency")) or "")
        kecamatan = str(getattr(self._value("kecamatan"), "pk", self._value("kecamatan")) or "")
        kelurahan = str(getattr(self._value("kelurahan"), "pk", self._value("kelurahan")) or "")
        districts = area_children(regency) if regency else []
        villages = area_children(kecamatan) if kecamatan else []
        found_districts, found_villages = search_places(self._value("place_q") or "", regency)
        districts += [(d.code, f"{d.name} — {d.regency.name}") for d in found_districts]
        villages += [(v.code, f"{v.name} — {v.district.name}, {v.district.regency.name}") for v in found_villages]
        if kecamatan and all(code != kecamatan for code, _name in districts):
            districts += list(District.objects.filter(pk=kecamatan).values_list("code", "name"))
        if kelurahan and all(code != kelurahan for code, _name in villages):
            villages += list(Village.objects.filter(pk=kelurahan).values_list("code", "name"))
        return districts, villages, len(found_districts) + len(found_villages)

    def clean_areas(self, data: dict, province, regency) -> bool:
        """places.check_areas on the cleaned choices: fills the coarser levels into `data`, or adds the
        error (in the user's language) to the field at fault and answers False."""
        kecamatan, kelurahan = data.get("kecamatan"), data.get("kelurahan")
        try:
            province, regency, kecamatan, kelurahan = places.check_areas(
                province=province, regency=regency, kecamatan=kecamatan, kelurahan=kelurahan
            )
        except places.AreaError as error:
            # At the choice at fault, or the finest one made when the level at fault was filled from it.
            chosen = [name for name in ("kelurahan", "kecamatan", "regency") if data.get(name) is not None]
            self.add_error(error.field if error.field in chosen else (chosen or ["kecamatan"])[0], str(error))
            return False
        if regency is None:
            if province is None and not self.has_error("province"):
                self.add_error("province", _("Pilih provinsi."))
            if not self.has_error("regency"):
                self.add_error("regency", _("Pilih kabupaten/kota, atau cari kecamatan atau kelurahan/desa di bawah."))
            return False
        data.update(province=province, regency=regency, kecamatan=kecamatan, kelurahan=kelurahan)
        return True


def _copy_field(field: forms.Field) -> forms.Field:
    """What `copy.deepcopy` of a form field gives a form (Field.__deepcopy__), without deep-copying
    what no form changes in place: the field and its widget copied, the widget's attrs, the field's
    error messages and validators copied, a model choice field's queryset cloned (never shared: it
    would keep its results), a choice widget's list of choices copied; choices themselves shared
    (a form assigns new ones, it never edits them). Composite fields and widgets get the deep copy."""
    widget = field.widget
    if isinstance(field, forms.MultiValueField) or isinstance(widget, forms.MultiWidget):
        return copy.deepcopy(field)
    new = object.__new__(type(field))
    new.__dict__.update(field.__dict__)
    new_widget = object.__new__(type(widget))
    new_widget.__dict__.update(widget.__dict__)
    new_widget.attrs = widget.attrs.copy()
    if isinstance(widget.__dict__.get("choices"), list):
        new_widget.choices = list(widget.choices)
    new.widget = new_widget
    new.error_messages = field.error_messages.copy()
    new.validators = field.validators[:]
    if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
        new.queryset = field.queryset.all()  # also gives the widget its choices, as Django's copy does
    return new


class LightlyCopiedFields(dict):
    """A form's declared fields, copied into each new form by _copy_field instead of copy.deepcopy:
    the citizen's form has 19 fields and every submission builds it (issue #15: the deep copy was
    ≈ 0.7 ms of a submission's CPU, the light one ≈ 0.35)."""

    def __deepcopy__(self, memo):
        return {name: _copy_field(field) for name, field in self.items()}


class IsoDateField(forms.DateField):
    """A DateField that reads the ISO date a date input sends (YYYY-MM-DD) first; other input goes
    through the language's formats as before (the Indonesian ones try eight others before ISO)."""

    def to_python(self, value):
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        return super().to_python(value)


class ClassificationField(forms.ChoiceField):
    """The classification's radio buttons (classification_choices: each label with its explanation, as
    HTML), checked against the classifications themselves: validating a submission builds no label."""

    def valid_value(self, value):
        return str(value) in CLASSIFICATIONS


CLASSIFICATIONS = frozenset(Classification.values)


class HelpTextAsItIsBoundField(BoundField):
    """Django's BoundField with the field's help text as it is — a lazy translation, translated when the
    form is shown — where Django's `field.help_text or ""` translates every help text whenever the form is
    validated (the report form's ten, on every submission: issue #15). An empty help text is "" in both."""

    def __init__(self, form, field, name):
        self.form = form
        self.field = field
        self.name = name
        self.html_name = form.add_prefix(name)
        self.html_initial_name = form.add_initial_prefix(name)
        self.html_initial_id = form.add_initial_prefix(self.auto_id)
        self.label = pretty_name(name) if field.label is None else field.label
        self.help_text = "" if field.help_text is None else field.help_text
        self.renderer = form.renderer


class ReportForm(AreaChoicesMixin, forms.Form):
    bound_field_class = HelpTextAsItIsBoundField

    classification = ClassificationField(
        label=_("Klasifikasi laporan"), choices=classification_choices, widget=forms.RadioSelect, initial="complaint"
    )
    title = forms.CharField(
        label=_("Judul laporan"), max_length=200, help_text=_("Ringkas, misalnya: Jalan berlubang di Jl. Raya Kuta.")
    )
    body = forms.CharField(
        label=_("Isi laporan"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Ceritakan apa yang terjadi, di mana, kapan, dan siapa yang terlibat."),
    )
    event_date = IsoDateField(label=_("Tanggal kejadian"), widget=forms.DateInput(attrs={"type": "date"}))
    # Province and regency are required, but a district, village or map pin may supply them (clean()).
    province = ReferenceField(kind="province", label=_("Provinsi"), empty_label=_("— pilih provinsi —"), required=False)
    regency = ReferenceField(
        kind="regency",
        label=_("Kabupaten/kota"),
        empty_label=_("— pilih kabupaten/kota —"),
        help_text=_("Pilihan dikelompokkan per provinsi."),
        required=False,
    )
    place_q = place_search_field()
    kecamatan = district_field()
    kelurahan = village_field()
    district = address_field()
    # Set by the map pin (static/js/place_map.js); no raw coordinate boxes in the citizen's form.
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput)
    category = ReferenceField(kind="category", label=_("Kategori"), empty_label=_("— pilih kategori —"))
    agency_q = forms.CharField(
        label=_("Cari instansi tujuan (opsional)"),
        required=False,
        max_length=100,
        help_text=_("Ketik sebagian nama instansi lalu tekan Cari; daftar di bawah menyempit."),
    )
    agency = forms.ModelChoiceField(
        label=_("Instansi tujuan (opsional)"),
        queryset=Agency.objects.active(),
        required=False,
        empty_label=_("— biarkan LAPOR! memilihkan —"),
        help_text=_("Bila dikosongkan, laporan diarahkan ke instansi yang biasa menangani kategori dan wilayah ini."),
    )
    attachments = AttachmentsField(
        label=_("Lampiran (opsional)"),
        required=False,
        help_text=lazy(
            lambda: (
                gettext(
                    "Foto (JPG, PNG, WebP) atau PDF, paling banyak %(count)s berkas, masing-masing "
                    "maksimal %(size)s MB."
                )
                % {"count": MAX_FILES, "size": settings.LAPOR_ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            ),
            str,
        )(),
    )
    is_anonymous = forms.BooleanField(
        label=_("Anonim"),
        required=False,
        help_text=_("Nama dan kontak Anda disembunyikan dari publik dan dari instansi yang menangani laporan."),
    )
    is_confidential = forms.BooleanField(
        label=_("Rahasia"),
        required=False,
        help_text=_(
            "Seluruh isi laporan tidak tampil untuk publik; hanya Anda dan petugas penanganan yang dapat melihatnya."
        ),
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("submission_key"):
            self.initial["submission_key"] = new_submission_key()
        self.fields["event_date"].widget.attrs["max"] = timezone.localdate().isoformat()
        self._group_choices()

    def _group_choices(self):
        """Grouped <optgroup> selects: they work without JavaScript; the server checks the pairing."""
        language = get_language() or "id"
        regency_groups, category_groups = grouped_choices(language)
        # Callables: the long lists are not normalised per request (the cached options come from them once).
        for name, choices in (
            ("province", province_choices()),
            ("regency", regency_groups),
            ("category", category_groups),
        ):
            self.fields[name].widget.choices = functools.partial(_with_empty, self.fields[name].empty_label, choices)
        # The long selects' options are rendered once per language and reference-data generation.
        use_fast_selects(self, cached={name: f"{name}:{language}" for name in ("province", "regency", "category")})
        self.fields["agency"].widget.attrs["data-found-label"] = _(
            "instansi ditemukan; pilih di daftar Instansi tujuan."
        )
        # Searched only when the form is shown: a valid submission never reads the agency list.
        self.fields["agency"].widget.choices = lambda: self._agency_choices
        self._area_choices()

    @functools.cached_property
    def _agency_choices(self):
        """The agency select shows the search results and the current choice, never the whole tree."""
        shown = list(search_agencies(self._value("agency_q") or ""))
        current = self._value("agency")
        if current and str(current).isdigit() and all(str(a.pk) != str(current) for a in shown):
            shown = list(Agency.objects.active().filter(pk=current)) + shown
        return [("", self.fields["agency"].empty_label)] + [(a.pk, a.name) for a in shown]

    def clean_event_date(self):
        value = self.cleaned_data["event_date"]
        today = timezone.localdate()
        if value > today:
            raise ValidationError(
                _("Tanggal kejadian tidak boleh di masa depan; paling lambat hari ini (%(today)s).")
                % {"today": date_format(today, "j F Y")}
            )
        return value

    def _clean_coordinate(self, name, bounds, label):
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        low, high = bounds
        if not (low <= value <= high):
            raise ValidationError(
                _("%(label)s harus di antara %(low)s dan %(high)s (wilayah Indonesia).")
                % {"label": label, "low": low, "high": high}
            )
        return value.quantize(Decimal("0.000001"))

    def clean_latitude(self):
        return self._clean_coordinate("latitude", LATITUDE_RANGE, _("Lintang"))

    def clean_longitude(self):
        return self._clean_coordinate("longitude", LONGITUDE_RANGE, _("Bujur"))

    def clean(self):
        data = super().clean()
        province, regency = data.get("province"), data.get("regency")
        if province and regency and regency.parent_id != province.pk:
            self.add_error(
                "regency",
                _("%(regency)s tidak berada di Provinsi %(province)s. Pilih kabupaten/kota di provinsi itu.")
                % {"regency": regency.name, "province": province.name},
            )
            return data
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            data["latitude"] = data["longitude"] = None  # half a pin is no pin
        if regency is None and data.get("kecamatan") is None and data.get("kelurahan") is None:
            pin_province, pin_regency = places.province_and_regency(
                places.region_for_point(data.get("latitude"), data.get("longitude"))
            )
            # The pin fills what is empty; where it disagrees with the chosen province the choice stands.
            if pin_province is not None and province in (None, pin_province):
                province, regency = pin_province, pin_regency
                data["province"] = province
        self.clean_areas(data, province, regency)
        return data

    def submit(self, *, by, submission_key: str):
        """File the valid form through the workflow (without a chosen agency, complaints.routing picks it)."""
        data = self.cleaned_data
        return workflow.submit(
            by=by,
            classification=data["classification"],
            title=data["title"],
            body=data["body"],
            event_date=data["event_date"],
            province=data["province"],
            regency=data["regency"],
            kecamatan=data["kecamatan"],
            kelurahan=data["kelurahan"],
            district=data["district"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            category=data["category"],
            suggested_agency=data["agency"],
            is_anonymous=data["is_anonymous"],
            is_confidential=data["is_confidential"],
            submission_key=submission_key,
            attachments=data["attachments"],
        )

    def chosen_file_names(self) -> list[str]:
        """Names of the files the browser sent: it cannot put them back into the re-rendered form."""
        if not self.is_bound or not self.files:
            return []
        return [f.name for f in self.files.getlist(self.add_prefix("attachments")) if f]

    def draft(self) -> dict:
        """What the visitor typed, to keep in the session across the login/registration detour."""
        fields = [name for name in self.fields if name not in ("attachments", "submission_key")]
        values = {name: self.data.get(self.add_prefix(name), "") for name in fields}
        return {name: value[:10000] for name, value in values.items() if value}


ReportForm.base_fields = LightlyCopiedFields(ReportForm.base_fields)


class SharedFields(dict):
    """The declared fields themselves, in a new dict per form (CheckedReportForm): nothing copied."""

    def __deepcopy__(self, memo):
        return dict(self)


class CheckedReportForm(ReportForm):
    """A submitted report form to check and file, never to show: its fields are the declared ones,
    shared, not copied (19 fields, ≈ 0.2 ms of a submission's CPU, issue #15), and none of what only a
    shown form needs is set up (the selects' choices, the date's upper bound). Checking a form reads its
    fields and widgets and writes none of them (ReferenceField checks a choice against the reference
    data, a model choice field clones its queryset to look a value up), so one submission leaves no trace
    in another's form. To show it — with its errors — the view takes `shown()`: a ReportForm of its own,
    fields copied and choices set, carrying the same data, files, errors and cleaned data."""

    def __init__(self, data, files=None):
        super(ReportForm, self).__init__(data, files)  # Django's Form, without ReportForm's display set-up

    def shown(self) -> ReportForm:
        form = ReportForm(self.data, self.files)
        if self._errors is not None:  # checked: the result stands, the shown form does not check again
            form._errors, form.cleaned_data = self._errors, self.cleaned_data
        return form


CheckedReportForm.base_fields = SharedFields(ReportForm.base_fields)


class BlankReportForm:
    """A blank ReportForm — unbound, nothing in it but a new submission key — made only when something
    asks it more than that. The report form page and the home page draw the blank form from its kept
    copy (complaints/fragments.report_form), which needs the key alone: making the form (its fields
    copied, its choices set) was 0.24–0.32 ms of those pages' CPU (issue #15)."""

    is_bound = False

    def __init__(self):
        self.initial = {"submission_key": new_submission_key()}

    def _value(self, name):
        return self.initial.get(name)

    @functools.cached_property
    def form(self) -> ReportForm:
        """The ReportForm itself, with the same initial values."""
        return ReportForm(initial=self.initial)

    def __getattr__(self, name):
        # Only what an instance lacks comes here: never its own attributes or dunders (copy, pickle).
        if name.startswith("__") or name in ("form", "initial"):
            raise AttributeError(name)
        return getattr(self.form, name)
