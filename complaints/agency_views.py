"""Staff pages of agency admins: their subtree's staff, appointed by decree (agencies/staffing.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

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


@login_required
@require_GET
def decree(request, pk):
    """An appointment's decree PDF, to those staffing.may_see_decree allows (404 for anyone else)."""
    appointment = get_object_or_404(Appointment.objects.select_related("agency").exclude(decree_file=""), pk=pk)
    if not staffing.may_see_decree(request.user, appointment):
        raise Http404(_("Halaman tidak ditemukan."))
    name = f"SK-{appointment.decree_number}.pdf".replace("/", "-")
    return FileResponse(appointment.decree_file.open("rb"), content_type="application/pdf", filename=name)


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


# --- The coordinators' readiness list (#19 item 3: complaints/readiness.py) ---

READINESS_PAGE_SIZE = 50
MISSING = {"admin": "no_admin", "penghubung": "no_liaison"}


@login_required
def readiness_page(request):
    """For a national admin (every agency) or a provincial government's admin (its subtree): each
    agency's admin and liaison officer, when they last logged in, the reports waiting on it, and a
    reminder (once per agency per day)."""
    from django.utils import timezone
    from django.utils.http import urlencode

    from . import readiness

    if not readiness.is_coordinator(request.user):
        raise Http404(_("Halaman tidak ditemukan."))
    params = {k: request.GET.get(k, "") for k in ("kurang", "menunggu", "urut")}
    if request.method == "POST":
        for k in params:
            params[k] = request.POST.get(k, "")
        agency = readiness.scope(request.user).filter(code=request.POST.get("instansi", "")).first()
        if agency is None:
            messages.error(request, _("Instansi ini tidak berada dalam lingkup koordinasi Anda."))
        else:
            try:
                sent = readiness.remind(request.user, agency)
            except readiness.ReminderRefused as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _("Pengingat dikirim ke %(n)s orang untuk %(agency)s.") % {"n": len(sent), "agency": agency.name},
                )
        query = urlencode({k: v for k, v in params.items() if v})
        return redirect(f"{request.path}?{query}" if query else request.path)
    raw_waiting = params["menunggu"].strip()
    error = ""
    waiting_over = None
    if raw_waiting:
        if raw_waiting.isdigit():
            waiting_over = int(raw_waiting)
        else:
            error = _("Isi batas laporan menunggu dengan angka, mis. 10.")
    rows = readiness.readiness(
        request.user,
        missing=MISSING.get(params["kurang"], ""),
        waiting_over=waiting_over,
        order="waiting" if params["urut"] == "menunggu" else "path",
    )
    page = peek_page(rows, request.GET.get("page"), READINESS_PAGE_SIZE)
    today = readiness.local_day(timezone.now())
    for agency in page:
        agency.reminded_today = bool(agency.reminded and readiness.local_day(agency.reminded) == today)
    return render(
        request,
        "staff/readiness.html",
        {
            "page": page,
            "params": params,
            "error": error,
            "query": urlencode({k: v for k, v in params.items() if v}),
            "roots": readiness.coordinated(request.user),
        },
        status=400 if error else 200,
    )


# --- Units (#19 item 4: agencies/units.py, complaints/unit_reports.py) ---


@login_required
def units_page(request):
    """An agency admin's units: add, rename, move and retire them (a unit holding open reports moves
    them first); top-level agencies proposed and, by a national admin, approved or rejected."""
    from agencies import units
    from agencies.roles import is_national_admin

    from . import unit_reports

    scope = _scope(request.user)
    code = request.GET.get("instansi") or request.POST.get("instansi") or ""
    agency = scope.filter(code=code).first() if code else None
    if agency is None:
        agency = next(iter(staffing.admin_agencies(request.user)), None) or scope.filter(depth=0).first()
    blocked = None  # a unit whose retirement was refused for its open reports
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        target = scope.filter(code=request.POST.get("unit", "")).first()
        try:
            if kind == "add":
                unit = units.add_unit(
                    request.user,
                    agency,
                    request.POST.get("name", ""),
                    kind=request.POST.get("unit_kind", ""),
                    code=request.POST.get("code", "").strip(),
                )
                message = _("Unit %(unit)s ditambahkan.") % {"unit": unit.name}
            elif kind == "propose":
                new = units.propose_top_level(
                    request.user, request.POST.get("name", ""), request.POST.get("top_kind", ""),
                    code=request.POST.get("code", "").strip(),
                )  # fmt: skip
                message = (
                    _("Instansi %(agency)s ditambahkan.")
                    if new.is_active
                    else _("Usulan %(agency)s dikirim; menunggu persetujuan Admin Nasional.")
                ) % {"agency": new.name}
            elif kind in ("approve", "reject"):
                proposed = units.pending().filter(code=request.POST.get("unit", "")).first()
                if proposed is None:
                    raise units.UnitError(_("Usulan ini tidak ditemukan atau sudah diputuskan."))
                units.decide(request.user, proposed, approve=kind == "approve", reason=request.POST.get("reason", ""))
                message = (_("%(agency)s disetujui.") if kind == "approve" else _("%(agency)s ditolak.")) % {
                    "agency": proposed.name
                }
            else:
                if target is None:
                    raise units.UnitError(_("Unit ini tidak berada di bawah instansi yang Anda kelola."))
                if kind == "rename":
                    units.rename(request.user, target, request.POST.get("name", ""))
                    message = _("Nama unit diubah menjadi %(unit)s.") % {"unit": target.name}
                elif kind == "retire":
                    units.retire(request.user, target)
                    message = _("%(unit)s dinonaktifkan; riwayatnya tetap tersimpan.") % {"unit": target.name}
                elif kind == "move":
                    parent = scope.filter(code=request.POST.get("parent", "").strip()).first()
                    if parent is None:
                        raise units.UnitError(_("Induk baru harus berada di bawah instansi yang Anda kelola."))
                    units.move(request.user, target, parent)
                    message = _("%(unit)s dipindahkan ke bawah %(parent)s.") % {
                        "unit": target.name,
                        "parent": parent.name,
                    }
                elif kind == "move_reports":
                    if not units.may_change(request.user, target):
                        raise units.UnitError(_("Anda hanya dapat mengubah unit di bawah instansi yang Anda kelola."))
                    to_unit = scope.filter(code=request.POST.get("to", "").strip(), is_active=True).first()
                    if to_unit is None or to_unit.is_in_subtree_of(target):
                        raise units.UnitError(_("Pilih unit tujuan yang aktif di instansi yang sama."))
                    done = unit_reports.move_open_reports(request.user, target, to_unit)
                    for line in done.errors[:5]:
                        messages.error(request, line)
                    message = _(
                        "%(moved)s laporan diteruskan ke %(to)s; %(left)s laporan terbuka masih dipegang %(unit)s "
                        "(%(stuck)s di antaranya menunggu pelapor atau verifikasi dan dapat dipindahkan setelah "
                        "kembali diproses)."
                    ) % {
                        "moved": done.moved,
                        "to": to_unit.name,
                        "left": done.left,
                        "unit": target.name,
                        "stuck": done.waiting_elsewhere,
                    }
                else:
                    raise units.UnitError(_("Permintaan tidak dikenal."))
        except units.HoldsOpenReports as error:
            blocked = error
            messages.error(request, str(error))
        except units.UnitError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, message)
            return redirect(f"{request.path}?instansi={agency.code}")
        if blocked is None:
            return redirect(f"{request.path}?instansi={agency.code}")
    children = peek_page(
        Agency.objects.filter(parent=agency).order_by("-is_active", "name", "pk"), request.GET.get("page"), PAGE_SIZE
    )
    national = is_national_admin(request.user)
    return render(
        request,
        "staff/units.html",
        {
            "agency": agency,
            "children": children,
            "query": f"instansi={agency.code}",
            "may_add": agency.is_active and units.may_add_under(request.user, agency),
            "unit_kinds": [(k, Agency.Kind(k).label) for k in units.UNIT_KINDS],
            "default_kind": units.default_kind(agency),
            "top_kinds": [(k, Agency.Kind(k).label) for k in units.TOP_LEVEL_KINDS],
            "pending": units.pending() if national else Agency.objects.none(),
            "national": national,
            "blocked": blocked,
            "siblings": Agency.objects.filter(parent_id=blocked.agency.parent_id, is_active=True).exclude(
                pk=blocked.agency.pk
            )[:200]
            if blocked
            else (),
        },
        status=409 if blocked else 200,
    )
