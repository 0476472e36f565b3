"""Break-glass access to an Anonim reporter's identity.

Nobody but the reporter sees who filed an Anonim report by default, national admins and supervisors
included. Those two roles may look, one report at a time, by giving a reason: the look writes an
append-only, hash-chained IdentityAccess record (who, which report, why, when), tells every other
national admin, and is listed in the admin for supervisors. Agency roles never can.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from agencies.models import Membership
from agencies.roles import national_roles

from . import access
from .models import IdentityAccess, Notification, Report
from .notifications import enqueue_delivery
from .workflow import ActionNotAllowed, InvalidInput

MIN_REASON = 20


def may_break_glass(user, report: Report) -> bool:
    return bool(
        report.is_anonymous
        and report.sandbox_id is None  # practice reports have nobody behind them
        and getattr(user, "is_authenticated", False)
        and national_roles(user)
    )


@transaction.atomic
def reveal(user, report: Report, reason: str) -> dict:
    """Record the look and return the identity (access.reporter_shown_to's shape, full)."""
    if not may_break_glass(user, report):
        raise ActionNotAllowed(_("Anda tidak berwenang melihat identitas pelapor anonim."))
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise InvalidInput(
            _("Tuliskan alasan yang jelas (minimal %(n)s karakter): untuk apa identitas ini dibutuhkan.")
            % {"n": MIN_REASON}
        )
    record = IdentityAccess.objects.create(report=report, user=user, reason=reason)
    _tell_other_national_admins(record)
    return access.full_identity(report)


def _tell_other_national_admins(record: IdentityAccess) -> None:
    report, viewer = record.report, record.user
    admins = (
        Membership.objects.filter(role=Membership.Role.NATIONAL_ADMIN, user__is_active=True)
        .exclude(user=viewer)
        .select_related("user")
        .order_by("user_id")
        .distinct()
    )
    path = reverse("admin:complaints_identityaccess_changelist") + f"?q={report.tracking_no}"
    rows, seen = [], set()
    for m in admins:
        if m.user_id in seen:
            continue
        seen.add(m.user_id)
        with translation.override(m.user.language or settings.LANGUAGE_CODE):
            subject = _("Identitas pelapor anonim laporan %(no)s dibuka oleh %(who)s") % {
                "no": report.tracking_no,
                "who": viewer.full_name,
            }
            body = _(
                "%(who)s membuka identitas pelapor anonim laporan %(no)s pada %(when)s.\n"
                "Alasan: %(why)s\n\nCatatan akses: %(url)s"
            ) % {
                "who": viewer.full_name,
                "no": report.tracking_no,
                "when": record.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                "why": record.reason,
                "url": settings.SITE_URL.rstrip("/") + path,
            }
        rows.append(
            Notification(user=m.user, report=report, kind="identity_access", subject=subject[:200], body=body, url=path)
        )
    if rows:
        Notification.objects.bulk_create(rows)
        enqueue_delivery([n.pk for n in rows])
