"""The coordinators' readiness list (#19 item 3): for every agency in their scope, whether it has an
active admin and an active liaison officer (Pejabat Penghubung), when each last acted, and how many
reports wait on it — and a reminder, at most once per agency per day.

Who coordinates: a national admin (every agency) and an agency admin of a provincial government (the
agencies of its subtree: the province's government, its OPDs, and the regencies and cities under it).
Nobody else sees the list.

"Last acted" is the most recent login (User.last_login) of the agency's active admins, and of its
active liaison officers: one indexed look-up per agency. The last workflow event of each person would
need an index over the fifteen million events by actor and time; a login is what the data answers
cheaply and honestly (every staff session starts with one, and idle sessions end after
LAPOR_STAFF_IDLE_MINUTES).

"Waiting" is the real (not practice) open reports the agency itself holds now (Report.agency), and
"overdue" those of them past their due time (the one rule, overdue_q). Every figure is a correlated
subquery of the one page query — no query per row: the admins and liaison officers through
Membership's (agency, role) index, the reports through the work queues' index (agency, status,
due_at). Sorted by path the database computes them for the page's rows only; sorted or filtered by
waiting, for every agency in scope.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyChange, Membership, Role, path_ids
from agencies.roles import is_national_admin, staff_agencies

from .models import OPEN_STATUSES, Notification, Report
from .notifications import enqueue_delivery

REMINDER = "agency_reminder"
FILTERS = ("no_admin", "no_liaison")
ORDERS = ("path", "waiting")


class ReminderRefused(Exception):
    """A reminder that may not be sent; str(error) is a translated message for the user."""


def coordinated(user) -> list[Agency] | None:
    """The roots of `user`'s coordination scope: None for a national admin (every agency), the
    provincial governments they administer, or [] (not a coordinator)."""
    if is_national_admin(user):
        return None
    return [a for a in staff_agencies(user, {Role.AGENCY_ADMIN}) if a.kind == Agency.Kind.PROVINCE]


def is_coordinator(user) -> bool:
    return coordinated(user) != []


def scope(user):
    """The agencies `user` coordinates (a queryset; none for anybody else)."""
    roots = coordinated(user)
    if roots is None:
        return Agency.objects.all()
    return Agency.objects.subtrees_of(roots)


def _staff(role: str):
    return Membership.objects.filter(agency=OuterRef("pk"), role=role, user__is_active=True).order_by().values("agency")


def _count(qs):
    return Coalesce(Subquery(qs.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), Value(0))


def readiness(user, *, missing: str = "", waiting_over: int | None = None, order: str = "path", now=None):
    """The agencies `user` coordinates (active ones), each annotated with admins, liaisons,
    admin_login, liaison_login, waiting, overdue and reminded (the latest reminder's time)."""
    now = now or timezone.now()
    held = Report.objects.real().filter(agency=OuterRef("pk"), status__in=OPEN_STATUSES).order_by().values("agency")
    reminders = AgencyChange.objects.filter(agency=OuterRef("pk"), action=AgencyChange.Action.REMIND).order_by()
    qs = (
        scope(user)
        .active()
        .select_related("parent")
        .annotate(
            admins=_count(_staff(Role.AGENCY_ADMIN)),
            liaisons=_count(_staff(Role.LIAISON_OFFICER)),
            admin_login=Subquery(_staff(Role.AGENCY_ADMIN).annotate(t=Max("user__last_login")).values("t")[:1]),
            liaison_login=Subquery(_staff(Role.LIAISON_OFFICER).annotate(t=Max("user__last_login")).values("t")[:1]),
            waiting=_count(held),
            overdue=_count(held.filter(due_at__lt=now)),
            reminded=Subquery(reminders.values("agency").annotate(t=Max("created_at")).values("t")[:1]),
        )
    )
    if missing == "no_admin":
        qs = qs.filter(admins=0)
    elif missing == "no_liaison":
        qs = qs.filter(liaisons=0)
    if waiting_over is not None:
        qs = qs.filter(waiting__gt=waiting_over)
    if order == "waiting":
        return qs.order_by("-waiting", "-overdue", "path")
    return qs.order_by("path")


# --- Reminders ---


def local_day(now: dt.datetime) -> dt.date:
    """The calendar day (Asia/Jakarta) a reminder counts for: one per agency per day."""
    return timezone.localtime(now, timezone.get_default_timezone()).date()


def recipients(agency: Agency) -> list:
    """Who is reminded: the agency's active admins and liaison officers; without any, the admins of the
    nearest agency above it that has active admins."""
    rows = Membership.objects.filter(
        role__in=(Role.AGENCY_ADMIN, Role.LIAISON_OFFICER), user__is_active=True
    ).select_related("user", "agency")
    own = {m.user_id: m.user for m in rows.filter(agency=agency).order_by("pk")}
    if own:
        return list(own.values())
    above = path_ids(agency.path)[:-1]
    if not above:
        return []
    admins = rows.filter(agency_id__in=above, role=Role.AGENCY_ADMIN).order_by("-agency__depth", "pk")
    nearest = None
    found = {}
    for m in admins:
        if nearest is None:
            nearest = m.agency_id
        if m.agency_id == nearest:
            found[m.user_id] = m.user
    return list(found.values())


def remind(by, agency: Agency, *, now=None) -> list[Notification]:
    """Remind an agency of the reports waiting on it: a notification (mailed through the outbox) to each
    recipient, recorded in the audit trail; refused (ReminderRefused) outside `by`'s scope, a second
    time the same day (Asia/Jakarta), or when nobody can be reminded."""
    now = now or timezone.now()
    target = readiness(by, now=now).filter(pk=agency.pk).first()
    if target is None:
        raise ReminderRefused(_("Instansi ini tidak berada dalam lingkup koordinasi Anda."))
    day = local_day(now)
    earlier = AgencyChange.objects.filter(agency=target, reminded_on=day).select_related("by").first()
    if earlier is not None:
        raise ReminderRefused(_already(earlier))
    people = recipients(target)
    if not people:
        raise ReminderRefused(
            _("Tidak ada admin aktif di instansi ini maupun di atasnya yang dapat diingatkan: angkat admin dahulu.")
        )
    try:
        with transaction.atomic():
            change = AgencyChange(
                action=AgencyChange.Action.REMIND,
                agency=target,
                by=by,
                reminded_on=day,
                created_at=now,
                data={"to": [u.pk for u in people], "waiting": target.waiting, "overdue": target.overdue},
            )
            change.save()
            rows = Notification.objects.bulk_create([_notification(u, target, now) for u in people])
    except IntegrityError:  # a colleague reminded it a moment ago
        earlier = AgencyChange.objects.filter(agency=target, reminded_on=day).select_related("by").first()
        raise ReminderRefused(_already(earlier)) from None
    enqueue_delivery([n.pk for n in rows])
    return rows


def _already(earlier: AgencyChange | None) -> str:
    if earlier is None:
        return _("Instansi ini sudah diingatkan hari ini; pengingat berikutnya dapat dikirim besok.")
    return _(
        "Instansi ini sudah diingatkan hari ini pukul %(time)s oleh %(by)s; pengingat berikutnya dapat dikirim besok."
    ) % {
        "time": timezone.localtime(earlier.created_at).strftime("%H:%M"),
        "by": (earlier.by.full_name or earlier.by.email) if earlier.by_id else _("Sistem"),
    }


def _notification(user, agency: Agency, now: dt.datetime) -> Notification:
    url = reverse("admin:complaints_report_changelist") + f"?instansi={agency.pk}"
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        subject = _("LAPOR: %(agency)s diingatkan — %(n)s laporan menunggu") % {
            "agency": agency.name,
            "n": agency.waiting,
        }
        body = _(
            "Koordinator pengelola pengaduan mengingatkan %(agency)s: %(n)s laporan terbuka menunggu "
            "ditindaklanjuti, %(late)s di antaranya melewati tenggat. Buka daftar laporan: %(url)s"
        ) % {
            "agency": agency.name,
            "n": agency.waiting,
            "late": agency.overdue,
            "url": settings.SITE_URL.rstrip("/") + url,
        }
    return Notification(user=user, kind=REMINDER, subject=subject[:200], body=body, url=url, created_at=now)
