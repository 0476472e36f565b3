"""Staff pages outside the Django admin: the overdue list, the in-site notifications and the
report list exports built in the background."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Agency, District, Sandbox, in_subtrees
from agencies.roles import is_staff_member, national_roles, training_seats

from . import access, exports, sop
from . import identity as identity_rules
from .models import ClockStep, Event, ExportJob, Notification, Report, Status
from .pagination import peek_page, query_without_page
from .workflow import WorkflowError

PAGE_SIZE = 25


class OverdueFilterForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=gettext_lazy("Kode instansi"),
        queryset=Agency.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("mis. pemkab-badung")}),
        error_messages={"invalid_choice": gettext_lazy("Instansi dengan kode ini tidak ditemukan.")},
    )
    subtree = forms.BooleanField(label=gettext_lazy("Termasuk unit di bawahnya"), required=False)
    # A text box for the Kemendagri code (7,000 districts make no list): the national queue by district.
    kecamatan = forms.ModelChoiceField(
        label=gettext_lazy("Kode kecamatan"),
        queryset=District.objects.all(),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "51.03.01"}),
        error_messages={"invalid_choice": gettext_lazy("Kecamatan dengan kode ini tidak ditemukan.")},
    )


def _require_national(user) -> None:
    if not national_roles(user):
        raise Http404(_("Halaman tidak ditemukan."))


@login_required
@require_GET
def overdue(request):
    """Reports past their deadline, with the escalation steps taken: national admins and supervisors."""
    _require_national(request.user)
    now = timezone.now()
    late = Report.objects.real().overdue(now)
    form = OverdueFilterForm(request.GET or None)
    reports = late
    agency = None
    if form.is_valid() and form.cleaned_data["agency"]:
        agency = form.cleaned_data["agency"]
        reports = (
            late.filter(in_subtrees([agency], "agency")) if form.cleaned_data["subtree"] else late.filter(agency=agency)
        )
    if form.is_valid() and form.cleaned_data["kecamatan"]:
        reports = reports.filter(kecamatan=form.cleaned_data["kecamatan"])
    groups = late.values("agency_id", "agency__name", "agency__code").annotate(n=Count("pk")).order_by("-n")[:20]
    steps = ClockStep.objects.filter(done_at__isnull=False).select_related("clock").order_by("done_at", "pk")
    page = peek_page(
        reports.select_related("agency", "category")
        .prefetch_related(Prefetch("clock_steps", queryset=steps, to_attr="steps_taken"))
        .order_by("due_at", "pk"),
        request.GET.get("page"),
        PAGE_SIZE,
    )
    sop.attach_targets(page)  # each agency's own target beside the legal deadline
    ctx = {"form": form, "page": page, "total": reports.count(), "query": query_without_page(request.GET)}
    return render(request, "staff/overdue.html", {**ctx, "groups": groups, "agency": agency, "now": now})


def _require_staff(user) -> None:
    if not is_staff_member(user):
        raise Http404(_("Halaman tidak ditemukan."))


@login_required
@require_GET
def notification_list(request):
    """The staff member's own notifications, newest first; unread ones highlighted."""
    _require_staff(request.user)
    mine = Notification.objects.filter(user=request.user)
    page = peek_page(mine.select_related("report").order_by("-created_at", "-pk"), request.GET.get("page"), PAGE_SIZE)
    unread = mine.filter(read_at__isnull=True).count()
    return render(request, "staff/notifications.html", {"page": page, "unread": unread})


@login_required
@require_POST
def notification_read(request):
    """Mark one notification (`id`) or all of them (`all`) as read; only the user's own."""
    _require_staff(request.user)
    mine = Notification.objects.filter(user=request.user, read_at__isnull=True)
    if request.POST.get("all"):
        n = mine.update(read_at=timezone.now())
    else:
        try:
            pk = int(request.POST.get("id", ""))
        except ValueError:
            raise Http404(_("Notifikasi tidak ditemukan.")) from None
        n = mine.filter(pk=pk).update(read_at=timezone.now())
    if n:
        messages.success(request, _("%(n)s notifikasi ditandai sudah dibaca.") % {"n": n})
    return redirect("staff:notifications")


def _own_export(request, token) -> ExportJob:
    """Only the staff member who asked for an export may see it; anyone else gets 404."""
    _require_staff(request.user)
    return get_object_or_404(ExportJob, token=token, user=request.user)


@login_required
@require_GET
def export_list(request):
    """The staff member's exports of the last LAPOR_EXPORT_KEEP_DAYS days."""
    _require_staff(request.user)
    jobs = ExportJob.objects.filter(user=request.user)[:50]
    return render(request, "staff/exports.html", {"jobs": jobs, "keep_days": settings.LAPOR_EXPORT_KEEP_DAYS})


@login_required
@require_GET
def export_status(request, token):
    """One export: its progress while it is built (the page refreshes itself), then its download link."""
    job = _own_export(request, token)
    return render(request, "staff/export.html", {"job": job, "error": exports.ERRORS.get(job.error, "")})


@login_required
@require_GET
def export_download(request, token):
    job = _own_export(request, token)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404(_("Berkas ekspor belum siap."))
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)


class IdentityReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Alasan membuka identitas"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Mis. pemeriksaan Ombudsman atas dugaan maladministrasi, atau permintaan aparat penegak hukum "
            "dengan nomor suratnya. Alasan, nama Anda dan waktunya dicatat dan dikirim ke Admin Nasional lain."
        ),
    )


@login_required
def identity(request, tracking_no):
    """Break-glass: an Anonim reporter's identity, shown once per stated reason (complaints/identity.py)."""
    report = get_object_or_404(Report.objects.select_related("reporter"), tracking_no=tracking_no.upper())
    if not identity_rules.may_break_glass(request.user, report):
        raise Http404(_("Halaman tidak ditemukan."))
    form = IdentityReasonForm(request.POST or None)
    shown = None
    if request.method == "POST" and form.is_valid():
        try:
            shown = identity_rules.reveal(request.user, report, form.cleaned_data["reason"])
        except WorkflowError as error:
            form.add_error("reason", str(error))
    return render(
        request,
        "staff/identity.html",
        {"report": report, "form": form, "shown": shown},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def practice(request):
    """A trainee's practice dashboard: their sandboxes' practice reports only (never a real one),
    counted by status, the trainees' steps, and the list to work on in the admin."""
    seats = training_seats(request.user)
    if not seats:
        raise Http404(_("Halaman tidak ditemukan."))
    sandboxes = list(Sandbox.objects.filter(pk__in={s.sandbox_id for s in seats}).select_related("agency"))
    reports = access.practice_reports(request.user)
    by_status = dict(reports.values_list("status").annotate(n=Count("pk")).order_by())
    now = timezone.now()
    steps = (
        Event.objects.filter(report__in=reports, actor__isnull=False)
        .values("actor__full_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "actor__full_name")
    )
    page = peek_page(reports.for_list().order_by("due_at", "pk"), request.GET.get("page"), PAGE_SIZE)
    sop.attach_targets(page)
    return render(
        request,
        "staff/practice.html",
        {
            "sandboxes": sandboxes,
            "statuses": [(s.label, by_status.get(s.value, 0)) for s in Status if by_status.get(s.value)],
            "total": sum(by_status.values()),
            "overdue": reports.overdue(now).count(),
            "steps": steps,
            "page": page,
            "now": now,
        },
    )
