from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.models import Agency

from .access import get_report_for_user, reporter_shown_to
from .models import Report, Status
from .workflow import allowed_actions


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
