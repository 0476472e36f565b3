"""Small forms behind the report admin's action buttons, bulk action and staff entry page.

Each action form knows how to turn its cleaned data into the keyword arguments of the matching
workflow function (`workflow.ACTION_FUNCTIONS`); the form never writes the report itself.
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from agencies.models import Agency, Region, path_ids
from agencies.roles import national_roles, staff_agencies

from . import access
from .forms import AreaChoicesMixin, address_field, district_field, place_search_field, village_field
from .models import (
    ARCHIVE_REASONS,
    REMOVE_REASONS,
    Action,
    Category,
    Channel,
    Classification,
    ComplaintKind,
    Report,
    ResponseTemplate,
    reference_objects,
)
from .uploads import AttachmentsField

OFF_PLATFORM_CHANNELS = [Channel.WALK_IN, Channel.LETTER, Channel.PHONE, Channel.WHATSAPP, Channel.SMS, Channel.SOCIAL]


def agency_widget(field_name="agency", multiple=False):
    """The admin's agency autocomplete; `agency` answers with the user's subtree, `suggested_agency`
    with every active agency (transfers and copies may leave the subtree)."""
    field = Report._meta.get_field(field_name)
    widget = AutocompleteSelectMultiple if multiple else AutocompleteSelect
    # Select2 reads its width from data-width: a style attribute would be refused by the CSP.
    return widget(field, admin.site, attrs={"data-width": "32em"})


def handling_agencies(user, report=None):
    """Agencies a staff member may dispatch or forward to: their subtrees (national admins: all); for
    a practice report, the subtrees of their seats in its training sandbox (access.acting_agencies)."""
    qs = Agency.objects.active()
    if report is not None and report.sandbox_id is not None:
        return qs.subtrees_of(access.acting_agencies(user, report))
    if national_roles(user):
        return qs
    return qs.subtrees_of(staff_agencies(user))


PREMISE_FIELDS = ("seen_event", "once")


class ActionForm(forms.Form):
    """Base: `kwargs()` gives the workflow function's keyword arguments, `premise()` what the page
    showed — the latest step the operator saw and a one-time token — for workflow.act, which refuses
    an action whose premise changed and records a form sent twice once."""

    required_css_class = "required"  # the admin's bold label: required before anything is sent

    class Media:
        js = ["js/select2_labels.js"]  # the agency search boxes named after their labels

    # Whether the page lets the browser check required fields before sending (no hidden autocomplete
    # selects, which a browser cannot point the user to).
    browser_validation = False

    seen_event = forms.IntegerField(widget=forms.HiddenInput, required=False)
    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, report: Report, user, seen_event: int | None = None, **kwargs):
        self.report, self.user = report, user
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["seen_event"] = seen_event
            self.initial["once"] = secrets.token_urlsafe(16)

    def premise(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in PREMISE_FIELDS}

    def kwargs(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name not in PREMISE_FIELDS}


class NoteForm(ActionForm):
    note = forms.CharField(label=_("Catatan"), widget=forms.Textarea(attrs={"rows": 4}))


class OptionalNoteForm(ActionForm):
    note = forms.CharField(label=_("Catatan untuk pelapor"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CategoryChoiceField(forms.ModelChoiceField):
    """Sub-categories only, labelled "Kesehatan › BPJS Kesehatan dan JKN"."""

    def __init__(self, **kwargs):
        qs = Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent")
        super().__init__(queryset=qs.order_by("parent__position", "parent__name", "position", "name"), **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.parent.label} › {obj.label}"


class VerifyForm(ActionForm):
    browser_validation = True

    class Media:
        js = ["js/verify_form.js"]

    title = forms.CharField(label=_("Judul ringkasan"), max_length=200)
    classification = forms.ChoiceField(
        label=_("Klasifikasi"),
        choices=Classification.choices,
        widget=forms.Select(attrs={"data-requires-kind": Classification.COMPLAINT}),
    )
    complaint_kind = forms.ChoiceField(
        label=_("Jenis pengaduan"),
        choices=[("", "—"), *ComplaintKind.choices],
        required=False,
        help_text=_("Wajib untuk pengaduan."),
    )
    category = CategoryChoiceField(label=_("Kategori"))
    tags = forms.CharField(label=_("Tag (pisahkan dengan koma)"), required=False)
    is_anonymous = forms.BooleanField(label=_("Anonim"), required=False)
    is_confidential = forms.BooleanField(label=_("Rahasia"), required=False)
    route_to = forms.ModelChoiceField(
        label=_("Sekaligus disposisikan ke (saran model)"),
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Saran dari riwayat disposisi laporan serupa; kosongkan untuk mendisposisikan nanti."),
    )
    note = forms.CharField(label=_("Catatan"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, report, user, **kwargs):
        from . import routing_model

        # The routing model's suggestion (None without a trained model: the form is as it always was).
        self.suggestion = routing_model.suggest(report)
        kwargs.setdefault(
            "initial",
            {
                "title": report.title,
                "classification": report.classification,
                "complaint_kind": report.complaint_kind,
                "category": report.category_id,
                "tags": ", ".join(report.tags or []),
                "is_anonymous": report.is_anonymous,
                "is_confidential": report.is_confidential,
            },
        )
        super().__init__(*args, report=report, user=user, **kwargs)
        self._offer_suggestion(user)
        # A complaint needs its kind: required in the form itself (the browser asks before sending;
        # static/js/verify_form.js keeps it in step when the classification is changed).
        chosen = (
            self.data.get(self.add_prefix("classification"))
            if self.is_bound
            else self.initial.get("classification", report.classification)
        )
        self.fields["complaint_kind"].required = chosen == Classification.COMPLAINT
        # A flag the citizen set cannot be cleared (the workflow refuses it too): show it locked.
        for flag in ("is_anonymous", "is_confidential"):
            if getattr(report, flag):
                self.fields[flag].disabled = True
                self.fields[flag].help_text = _("Dipilih pelapor; tidak dapat dihapus.")

    def _offer_suggestion(self, user):
        suggestion = self.suggestion
        if suggestion is None:
            del self.fields["route_to"]
            return
        # What a stored suggestion adds to the page is kept to its own read and one of the agencies
        # offered (#16 item 9): the categories' names come from the reference data in memory, and the
        # agencies are read once for the choices (the queryset only checks a posted choice).
        categories = reference_objects()["categories"]
        names = {c: categories[c].name for c, _p in suggestion.categories if c in categories}
        self.fields["category"].help_text = _("Saran model: %(list)s") % {
            "list": ", ".join(f"{names.get(c, c)} ({p:.0%})" for c, p in suggestion.categories)
        }
        if not self.is_bound and suggestion.preselect_category in names:
            self.initial["category"] = suggestion.preselect_category
        confidence = dict(suggestion.agencies)
        offered = handling_agencies(user, self.report).filter(pk__in=list(confidence))
        shown = list(offered)
        if not shown:
            del self.fields["route_to"]
            return
        field = self.fields["route_to"]
        field.queryset = offered
        field.choices = [(agency.pk, f"{agency.name} ({confidence.get(agency.pk, 0):.0%})") for agency in shown]
        if not self.is_bound and suggestion.preselect_agency in confidence:
            self.initial["route_to"] = suggestion.preselect_agency

    def clean(self):
        data = super().clean()
        if data.get("classification") == Classification.COMPLAINT and not data.get("complaint_kind"):
            self.add_error("complaint_kind", _("Tandai pengaduan sebagai normatif atau perlu pemeriksaan."))
        return data

    def kwargs(self):
        data = super().kwargs()
        data.pop("route_to", None)  # dispatched after the verification (ReportAdmin.action_view)
        data["tags"] = [t for t in data["tags"].split(",") if t.strip()]
        return data


class DispatchForm(ActionForm):
    to_agency = forms.ModelChoiceField(
        label=_("Instansi tujuan"), queryset=Agency.objects.none(), widget=agency_widget()
    )
    copies = forms.ModelMultipleChoiceField(
        label=_("Tembusan"),
        queryset=Agency.objects.active(),
        required=False,
        widget=agency_widget("suggested_agency", True),
    )
    note = forms.CharField(label=_("Catatan"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, report, user, **kwargs):
        super().__init__(*args, report=report, user=user, **kwargs)
        self.fields["to_agency"].queryset = handling_agencies(user, report)


class ForwardForm(ActionForm):
    to_agency = forms.ModelChoiceField(
        label=_("Unit kerja tujuan"), queryset=Agency.objects.none(), widget=agency_widget()
    )
    note = forms.CharField(label=_("Catatan publik"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    internal_note = forms.CharField(
        label=_("Catatan internal"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, report, user, **kwargs):
        super().__init__(*args, report=report, user=user, **kwargs)
        qs = Agency.objects.none()
        if report.agency_id:
            qs = Agency.objects.active().subtree_of(report.agency).exclude(pk=report.agency_id)
        self.fields["to_agency"].queryset = qs


class ReturnForm(ActionForm):
    reason = forms.CharField(label=_("Alasan pengembalian"), widget=forms.Textarea(attrs={"rows": 4}))


class TransferForm(ActionForm):
    to_agency = forms.ModelChoiceField(
        label=_("Instansi tujuan"), queryset=Agency.objects.active(), widget=agency_widget("suggested_agency")
    )
    note = forms.CharField(label=_("Alasan pengalihan"), widget=forms.Textarea(attrs={"rows": 4}))


class AttachmentsMixin(forms.Form):
    attachments = AttachmentsField(label=_("Lampiran"), required=False, max_files=None)


class NoteWithAttachmentsForm(AttachmentsMixin, NoteForm):
    field_order = ["note", "attachments"]


class AnswerForm(NoteWithAttachmentsForm):
    """respond / draft_response: the body may start from one of the agency's response templates."""

    note = forms.CharField(label=_("Jawaban"), widget=forms.Textarea(attrs={"rows": 8}))

    def templates(self):
        return response_templates_for(self.report)


class AnswerAgainForm(AnswerForm):
    """A further answer to a report that is already answered: a deliberate, separate action."""

    confirm = forms.BooleanField(
        label=_("Laporan ini sudah dijawab; saya memang ingin mengirim jawaban tambahan kepada pelapor."),
        required=True,
    )

    def kwargs(self):
        data = super().kwargs()
        data.pop("confirm")
        return {**data, "again": True}


def response_templates_for(report: Report):
    if not report.agency_id:
        return ResponseTemplate.objects.none()
    return ResponseTemplate.objects.filter(agency_id__in=path_ids(report.agency.path)).select_related("agency")


class ApproveForm(ActionForm):
    note = forms.CharField(
        label=_("Jawaban yang diterbitkan"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=_("Kosongkan untuk menerbitkan draf apa adanya."),
    )

    def __init__(self, *args, report, user, **kwargs):
        draft = report.events.filter(action=Action.DRAFT_RESPONSE).order_by("-created_at", "-pk").first()
        kwargs.setdefault("initial", {"note": draft.data.get("draft", "") if draft else ""})
        super().__init__(*args, report=report, user=user, **kwargs)


class MergeForm(ActionForm):
    """Close the report as a duplicate of another, named by its tracking number (the likely duplicates
    listed on the page fill it in)."""

    into = forms.CharField(
        label=_("Nomor pelacakan laporan utama"),
        max_length=12,
        help_text=_("Laporan tentang masalah yang sama; laporan ini ditutup dan pelapornya mengikuti laporan utama."),
    )
    note = forms.CharField(
        label=_("Catatan untuk pelapor"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Kosongkan untuk pesan baku dengan nomor laporan utama."),
    )

    def clean_into(self):
        from .access import staff_reports

        number = self.cleaned_data["into"].strip().upper()
        main = staff_reports(self.user).filter(tracking_no=number).first()
        if main is None:
            raise forms.ValidationError(_("Laporan dengan nomor ini tidak ditemukan dalam wewenang Anda."))
        return main


class ArchiveForm(ActionForm):
    reason = forms.ChoiceField(label=_("Alasan"), choices=[(r.value, r.label) for r in ARCHIVE_REASONS])
    note = forms.CharField(label=_("Catatan"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RemoveForm(ArchiveForm):
    reason = forms.ChoiceField(label=_("Alasan"), choices=[(r.value, r.label) for r in REMOVE_REASONS])


# The admin's own name for a further answer (workflow action RESPOND with again=True).
ANSWER_AGAIN = "respond_again"
ACTION_FORMS: dict[str, type[ActionForm]] = {
    Action.VERIFY: VerifyForm,
    Action.HOLD: NoteForm,
    Action.DISPATCH: DispatchForm,
    Action.FORWARD: ForwardForm,
    Action.RETURN: ReturnForm,
    Action.TRANSFER: TransferForm,
    Action.FOLLOW_UP: NoteWithAttachmentsForm,
    Action.DRAFT_RESPONSE: AnswerForm,
    Action.APPROVE_RESPONSE: ApproveForm,
    Action.RESPOND: AnswerForm,
    Action.ARCHIVE: ArchiveForm,
    Action.REMOVE: RemoveForm,
    Action.NOTE: NoteForm,
    Action.MERGE: MergeForm,
    Action.UNMERGE: OptionalNoteForm,
    ANSWER_AGAIN: AnswerAgainForm,
}


class BulkDispatchForm(forms.Form):
    to_agency = forms.ModelChoiceField(
        label=_("Instansi tujuan"), queryset=Agency.objects.none(), widget=agency_widget()
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_agency"].queryset = handling_agencies(user)


class StaffEntryForm(AreaChoicesMixin, forms.Form):
    """A complaint received off the platform (walk-in, letter, phone, WhatsApp) recorded by staff.

    Its place is chosen as on the citizen's form: province → regency → district → village, the lower
    selects following the upper ones (static/js/place_map.js) and a search that needs no JavaScript,
    checked by places.check_areas (a district or village alone fills the levels above it)."""

    # The location's fields, drawn as their own group (a fieldset the cascade script looks for).
    PLACE_FIELDS = ("province", "regency", "place_q", "kecamatan", "kelurahan", "district")

    channel = forms.ChoiceField(label=_("Kanal"), choices=[(c.value, c.label) for c in OFF_PLATFORM_CHANNELS])
    reporter_email = forms.EmailField(
        label=_("E-mail pelapor"),
        required=False,
        help_text=_("Pelapor menerima nomor laporannya di alamat ini; laporan tampil di akunnya bila ia punya akun."),
    )
    reporter_name = forms.CharField(label=_("Nama pelapor"), max_length=150, required=False)
    reporter_contact = forms.CharField(label=_("Kontak pelapor (telepon/alamat)"), max_length=150, required=False)
    classification = forms.ChoiceField(label=_("Klasifikasi"), choices=Classification.choices)
    title = forms.CharField(label=_("Judul"), max_length=200)
    body = forms.CharField(label=_("Isi laporan"), widget=forms.Textarea(attrs={"rows": 6}))
    event_date = forms.DateField(label=_("Tanggal kejadian"), widget=forms.DateInput(attrs={"type": "date"}))
    province = forms.ModelChoiceField(
        label=_("Provinsi"), queryset=Region.objects.filter(level="province"), required=False
    )
    regency = forms.ModelChoiceField(
        label=_("Kabupaten/kota"), queryset=Region.objects.filter(level="regency"), required=False
    )
    place_q = place_search_field()
    kecamatan = district_field()
    kelurahan = village_field()
    district = address_field()
    category = CategoryChoiceField(label=_("Kategori"))
    suggested_agency = forms.ModelChoiceField(
        label=_("Instansi tujuan (opsional)"),
        queryset=Agency.objects.none(),
        required=False,
        widget=agency_widget(),
        help_text=_(
            "Bila dikosongkan, laporan diarahkan ke instansi yang biasa menangani kategori dan wilayah ini "
            "(aturan disposisi LAPOR!)."
        ),
    )
    is_anonymous = forms.BooleanField(label=_("Anonim"), required=False)
    is_confidential = forms.BooleanField(label=_("Rahasia"), required=False)
    attachments = AttachmentsField(label=_("Lampiran"), required=False, max_files=None)

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {"event_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["suggested_agency"].queryset = handling_agencies(user)
        self._area_choices()

    def place_fields(self):
        return [self[name] for name in self.PLACE_FIELDS]

    def other_fields(self):
        return [field for field in self if field.name not in self.PLACE_FIELDS]

    def draft(self) -> dict:
        """What was typed (files aside), to show the form again after a search without losing it."""
        names = [name for name in self.fields if name != "attachments"]
        return {name: self.data.get(name) for name in names if self.data.get(name)}

    def chosen_file_names(self) -> list[str]:
        return [f.name for f in self.files.getlist("attachments") if f] if self.files else []

    def clean_reporter_email(self):
        # Never says whether the address has an account (#21 item 14): kwargs() links the report to
        # one if it exists, else keeps the address as the contact; the reporter is mailed either way.
        return self.cleaned_data["reporter_email"].strip().lower()

    def clean(self):
        data = super().clean()
        if not data.get("reporter_email") and not (data.get("reporter_name") or "").strip():
            self.add_error("reporter_name", _("Isi nama pelapor atau e-mail akunnya."))
        if not self.has_error("province") and not self.has_error("regency"):
            self.clean_areas(data, data.get("province"), data.get("regency"))
        return data

    def kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("place_q", None)
        email = data.pop("reporter_email")
        data["reporter"] = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
        data["off_platform"] = True  # for somebody else, even with no name or account
        # The address typed is the contact either way: the report shows what staff typed, never the
        # linked account's data (access.entered_for_account).
        if email:
            data["reporter_contact"] = ", ".join(c for c in (data.get("reporter_contact", "").strip(), email) if c)[
                :150
            ]
        return data
