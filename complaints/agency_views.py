"""Staff pages of agency admins: their subtree's staff, appointed by decree (agencies/staffing.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies import staffing
from agencies.models import Agency, Appointment, Membership, Role

from . import uploads
from .pagination import peek_page

User = get_user_model()
PAGE_SIZE = 50


class StaffActionForm(forms.Form):
    ACTIONS = ("invite", "grant", "change", "revoke", "deactivate")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    agency = forms.ModelChoiceField(
        label=gettext_lazy("Kode instansi"),
        queryset=Agency.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("mis. dinkes-badung")}),
        error_messages={"invalid_choice": gettext_lazy("Instansi dengan kode ini tidak ada di bawah kewenangan Anda.")},
    )
    role = forms.ChoiceField(label=gettext_lazy("Peran"), choices=(), required=False)
    membership = forms.IntegerField(required=False, widget=forms.HiddenInput)
    decree_number = forms.CharField(label=gettext_lazy("Nomor SK"), max_length=120)
    decree_date = forms.DateField(label=gettext_lazy("Tanggal SK"), widget=forms.DateInput(attrs={"type": "date"}))
    decree_file = forms.FileField(label=gettext_lazy("Berkas SK (PDF, opsional)"), required=False)

    def __init__(self, *args, user, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["agency"].queryset = scope
        self.fields["role"].choices = [("", "—")] + [(r, Role(r).label) for r in staffing.grantable_roles(user)]

    def clean_decree_file(self):
        upload = self.cleaned_data.get("decree_file")
        if not upload:
            return None
        checked = uploads.check_upload(upload)  # the upload checks of every file LAPOR stores
        if checked.content_type != "application/pdf":
            raise ValidationError(_("Berkas SK harus PDF."))
        return checked

    def clean(self):
        data = super().clean()
        action = data.get("action")
        needed = {
            "invite": ("email", "agency", "role"),
            "grant": ("email", "agency", "role"),
            "change": ("membership", "role"),
            "revoke": ("membership",),
            "deactivate": ("membership",),
        }.get(action, ())
        for name in needed:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("Wajib diisi."))
        return data

    def decree(self) -> dict:
        d = self.cleaned_data
        return {"number": d["decree_number"].strip(), "date": d["decree_date"], "file": d.get("decree_file")}


def _scope(user):
    """The agencies whose staff `user` manages (404 for anyone who manages none)."""
    from agencies.roles import is_national_admin

    if is_national_admin(user):
        return Agency.objects.all()
    admin_of = staffing.admin_agencies(user)
    if not admin_of:
        raise Http404(_("Halaman tidak ditemukan."))
    return Agency.objects.subtrees_of(admin_of)


@login_required
def staff(request):
    """The staff of the admin's subtree, with the invitation, appointment and deactivation forms."""
    scope = _scope(request.user)
    form = StaffActionForm(request.POST or None, request.FILES or None, user=request.user, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            message = _act(request.user, form, scope)
        except staffing.StaffingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, message)
            return redirect("staff:agency_staff")
    members = (
        Membership.objects.filter(agency__in=scope)
        .select_related("user", "agency")
        .order_by("agency__path", "role", "user__email")
    )
    query = (request.GET.get("q") or "").strip()
    if query:
        members = members.filter(user__email__icontains=query) | members.filter(agency__code=query)
    page = peek_page(members, request.GET.get("page"), PAGE_SIZE)
    managed = None
    if (request.GET.get("m") or "").isdigit():
        managed = (
            Membership.objects.filter(pk=request.GET["m"], agency__in=scope).select_related("user", "agency").first()
        )
    recent = Appointment.objects.filter(agency__in=scope).select_related("user", "agency", "by")[:20]
    return render(
        request,
        "staff/agency_staff.html",
        {
            "form": form,
            "page": page,
            "recent": recent,
            "query": query,
            "managed": managed,
            "roles": form.fields["role"].choices[1:],
        },
        status=400 if form.errors else 200,
    )


def _act(user, form: StaffActionForm, scope) -> str:
    d = form.cleaned_data
    action = d["action"]
    if action == "invite":
        staffing.invite(user, d["email"], d["agency"], d["role"], form.decree())
        return _("Undangan dikirim ke %(email)s.") % {"email": d["email"]}
    if action == "grant":
        person = User.objects.filter(email__iexact=d["email"]).first()
        if person is None:
            raise staffing.StaffingError(_("Belum ada akun dengan e-mail ini: kirim undangan."))
        staffing.grant(user, person, d["agency"], d["role"], form.decree())
        return _("Peran diberikan kepada %(email)s.") % {"email": person.email}
    membership = (
        Membership.objects.filter(pk=d["membership"], agency__in=scope).select_related("user", "agency").first()
    )
    if membership is None:
        raise staffing.StaffingError(_("Keanggotaan ini tidak ada di bawah kewenangan Anda."))
    if action == "change":
        staffing.change_role(user, membership, d["role"], form.decree())
        return _("Peran %(email)s diubah.") % {"email": membership.user.email}
    if action == "revoke":
        staffing.revoke(user, membership, form.decree())
        return _("Peran %(email)s dicabut.") % {"email": membership.user.email}
    staffing.deactivate(user, membership.user, membership.agency, form.decree())
    return _("Akun %(email)s dinonaktifkan.") % {"email": membership.user.email}


@login_required
def acting(request):
    """Switch the agency a person with roles in several agencies acts for; every queue, dashboard and
    export follows (agencies.roles.memberships)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    from agencies.roles import ACTING_SESSION_KEY, acting_agency, acting_choices

    choices = acting_choices(request.user)
    if len(choices) < 2:
        raise Http404(_("Halaman tidak ditemukan."))
    if request.method == "POST":
        raw = request.POST.get("agency", "")
        chosen = next((a for a in choices if str(a.pk) == raw), None)
        if raw and chosen is None:
            messages.error(request, _("Anda tidak memegang peran di instansi itu."))
        else:
            request.session[ACTING_SESSION_KEY] = chosen.pk if chosen else None
            if chosen:
                messages.success(request, _("Anda sekarang bertindak untuk %(agency)s.") % {"agency": chosen.name})
            else:
                messages.success(request, _("Anda sekarang bertindak untuk semua instansi Anda."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = "admin:complaints_report_changelist"
        return redirect(target)
    held = {}
    for m in request.user.memberships.select_related("agency").order_by("agency__path"):
        held.setdefault(m.agency_id, []).append(m.get_role_display())
    return render(
        request,
        "staff/acting.html",
        {
            "choices": [(a, held.get(a.pk, [])) for a in choices],
            "current": acting_agency(request.user),
            "next": request.GET.get("next", ""),
        },
    )


@login_required
def sop_page(request):
    """An agency's SOP, set by its admins: approval of answers, time zone, internal targets per
    classification (shorter than the law's) and regional holidays (complaints/sop.py)."""
    import datetime as dt

    from . import sop
    from .models import CalendarDay, Classification, InternalTarget

    scope = _scope(request.user)
    code = request.GET.get("instansi") or request.POST.get("instansi") or ""
    agency = scope.filter(code=code).first() if code else None
    if agency is None:
        agency = next(iter(staffing.admin_agencies(request.user)), None) or scope.filter(depth=0).first()
    if request.method == "POST":
        kind = request.POST.get("kind")
        try:
            if kind == "rules":
                sop.set_rules(
                    request.user,
                    agency,
                    answers_need_approval=bool(request.POST.get("answers_need_approval")),
                    timezone=request.POST.get("timezone", ""),
                )
            elif kind == "target":
                raw = (request.POST.get("days") or "").strip()
                if raw and not raw.isdigit():
                    raise sop.SopError(_("Isi jumlah hari kerja dengan angka."))
                sop.set_target(request.user, agency, request.POST.get("classification", ""), int(raw) if raw else None)
            elif kind == "holiday":
                try:
                    day = dt.date.fromisoformat(request.POST.get("date", ""))
                except ValueError:
                    raise sop.SopError(_("Tanggal libur tidak sah.")) from None
                name = (request.POST.get("name") or "").strip()
                if not name:
                    raise sop.SopError(_("Beri nama hari libur, mis. Nyepi."))
                sop.add_holiday(request.user, agency, day, name[:120])
            elif kind == "remove_holiday":
                holiday = CalendarDay.objects.filter(pk=request.POST.get("holiday") or 0, agency=agency).first()
                if holiday is None:
                    raise sop.SopError(_("Hari libur tidak ditemukan."))
                sop.remove_holiday(request.user, holiday)
            else:
                raise sop.SopError(_("Permintaan tidak dikenal."))
        except sop.SopError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("SOP %(agency)s disimpan; tenggat yang berjalan dihitung ulang.") % {"agency": agency.name}
            )
        return redirect(f"{request.path}?instansi={agency.code}")
    targets = dict(InternalTarget.objects.filter(agency=agency).values_list("classification", "days"))
    rows = [
        (value, label, sop.legal_days(agency, value), targets.get(value)) for value, label in Classification.choices
    ]
    from agencies.models import TIMEZONES

    return render(
        request,
        "staff/sop.html",
        {
            "agency": agency,
            "timezones": TIMEZONES,
            "targets": rows,
            "holidays": CalendarDay.objects.filter(agency=agency).order_by("date"),
        },
    )
