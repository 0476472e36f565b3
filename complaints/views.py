import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.models import Agency

from . import ratelimit
from .access import get_report_for_user, reporter_shown_to
from .forms import ReportForm, search_agencies
from .models import Report, Status
from .workflow import WorkflowError, allowed_actions


@require_GET
def home(request):
    public = Report.objects.public()
    ctx = {
        "latest": public.for_list().order_by("-created_at")[:6],
        "counters": {
            "reports": public.count(),
            "completed": public.filter(status=Status.COMPLETED).count(),
            "agencies": Agency.objects.active().count(),
        },
    }
    return render(request, "complaints/home.html", ctx)


@require_GET
def track(request):
    number = request.GET.get("no", "").strip().upper()
    if number:
        if Report.objects.public().filter(tracking_no=number).exists() or (
            request.user.is_authenticated and Report.objects.filter(tracking_no=number, reporter=request.user).exists()
        ):
            return redirect("complaints:detail", tracking_no=number)
        messages.error(request, _("Laporan dengan nomor %(no)s tidak ditemukan.") % {"no": number})
    return render(request, "complaints/track.html", {"number": number})


@require_GET
def detail(request, tracking_no):
    report = get_report_for_user(request.user, tracking_no, Report.objects.for_list().select_related("reporter"))
    events = report.events.select_related("agency", "target_agency").filter(is_public=True)
    ctx = {
        "report": report,
        "events": events,
        "reporter": reporter_shown_to(request.user, report),
        "actions": allowed_actions(report, request.user) if request.user.is_authenticated else [],
        "open_clocks": [c for c in report.clocks.all() if c.is_open],
    }
    return render(request, "complaints/report_detail.html", ctx)


# --- Citizen submission (laporan/baru/) ---

REPORT_DRAFT_SESSION_KEY = "report_draft"


def _owned_submission_key(user, token: str) -> str:
    """Bind the form's one-time token to the account, so nobody can replay another person's token."""
    return hashlib.sha256(f"{user.pk}:{token}".encode()).hexdigest()


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _rate_limited(request) -> bool:
    user_limit, _window = settings.LAPOR_SUBMIT_RATE_USER
    ip_limit, _window = settings.LAPOR_SUBMIT_RATE_IP
    return ratelimit.is_limited("submit-user", request.user.pk, user_limit) or ratelimit.is_limited(
        "submit-ip", _client_ip(request), ip_limit
    )


def _count_submission(request) -> None:
    ratelimit.hit("submit-user", request.user.pk, settings.LAPOR_SUBMIT_RATE_USER[1])
    ratelimit.hit("submit-ip", _client_ip(request), settings.LAPOR_SUBMIT_RATE_IP[1])


def _render_report_form(request, form, *, reattach=(), restored=False, status=200):
    ctx = {"report_form": form, "reattach": list(reattach), "restored": restored}
    return render(request, "complaints/report_form.html", ctx, status=status)


def submit_report(request):
    if request.method != "POST":
        draft = request.session.get(REPORT_DRAFT_SESSION_KEY)
        form = ReportForm(initial=draft["data"] if draft else None)
        return _render_report_form(request, form, reattach=draft["files"] if draft else (), restored=bool(draft))

    if "discard_draft" in request.POST:
        request.session.pop(REPORT_DRAFT_SESSION_KEY, None)
        return redirect("complaints:submit")
    form = ReportForm(request.POST, request.FILES)
    if "search_agency" in request.POST:
        # No-JavaScript agency search: show the form again with a narrowed agency list, nothing validated yet.
        narrowed = ReportForm(initial={**form.draft(), "submission_key": request.POST.get("submission_key", "")})
        return _render_report_form(request, narrowed, reattach=form.chosen_file_names())
    if not request.user.is_authenticated:
        request.session[REPORT_DRAFT_SESSION_KEY] = {"data": form.draft(), "files": form.chosen_file_names()}
        messages.info(request, _("Masuk atau daftar dulu untuk mengirim laporan. Isian Anda sudah disimpan."))
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': reverse('complaints:submit')})}")
    if form.is_valid():
        data = form.cleaned_data
        key = _owned_submission_key(request.user, data["submission_key"])
        existing = Report.objects.filter(submission_key=key, reporter=request.user).only("tracking_no").first()
        if existing is not None:  # a double click or a resubmitted page: the first report stands
            return redirect("complaints:submitted", tracking_no=existing.tracking_no)
        if _rate_limited(request):
            messages.error(
                request,
                _(
                    "Anda sudah mengirim banyak laporan dalam waktu singkat. Tunggu beberapa menit lalu kirim lagi; "
                    "isian Anda tetap di formulir ini."
                ),
            )
            return _render_report_form(request, form, reattach=form.chosen_file_names(), status=429)
        try:
            report = form.submit(by=request.user, submission_key=key)
        except WorkflowError as error:
            form.add_error(None, str(error))
        except ValidationError as error:  # an image Pillow cannot re-encode (anonymous reports strip metadata)
            form.add_error("attachments", error)
        else:
            _count_submission(request)
            request.session.pop(REPORT_DRAFT_SESSION_KEY, None)
            return redirect("complaints:submitted", tracking_no=report.tracking_no)
    return _render_report_form(request, form, reattach=form.chosen_file_names(), status=400 if form.errors else 200)


@login_required
@require_GET
def submitted(request, tracking_no):
    report = get_object_or_404(Report.objects.select_related("agency"), tracking_no=tracking_no, reporter=request.user)
    return render(request, "complaints/submit_done.html", {"report": report})


@require_GET
def agency_search(request):
    results = [{"id": a.pk, "name": a.name} for a in search_agencies(request.GET.get("q", "")).only("pk", "name")]
    return JsonResponse({"results": results})
