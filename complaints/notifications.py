"""Who hears about an event, and the mail that tells them.

Notifications are rows written inside the action's transaction (an outbox), then mailed by a
Celery task queued after the commit. If the broker is down the action still succeeds and the
periodic deliver_pending_notifications sweep mails the rows once it is back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import IntegerField, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import User
from agencies.models import Membership, TrainingSeat, path_ids
from lapor.prepared import Prepared, insert_rows
from lapor.queue import after_commit

from .models import CITIZEN_ACTIONS, INTERNAL_ACTIONS, Action, Event, Follow, Notification, Status
from .report_urls import report_url

log = logging.getLogger(__name__)
Role = Membership.Role

A = Action
# Events the handling staff hear about (a report arrives at their desk, or its citizen asks them for
# more work), and which roles at the holding agency.
STAFF_EVENTS = {A.SUBMIT, A.DISPATCH, A.FORWARD, A.TRANSFER, A.RETURN, *(set(CITIZEN_ACTIONS) - {A.ACCEPT})}
STAFF_ROLES = Membership.HANDLER_ROLES
APPROVER_EVENTS = {A.DRAFT_RESPONSE}
# The reporter is not told of what they did themselves, nor of internal steps.
REPORTER_SKIPS = {*CITIZEN_ACTIONS, *INTERNAL_ACTIONS}


def recipients(event: Event) -> list[tuple[object, str]]:
    """(user, audience) pairs; audience "reporter" or "staff" picks the template."""
    report = event.report
    if report.sandbox_id is not None:
        return practice_recipients(event)
    result = []
    if event.is_public and report.reporter_id and event.action not in REPORTER_SKIPS:
        result.append((report.reporter, "reporter"))
    if event.is_public and event.action not in REPORTER_SKIPS and report.is_public:
        # Citizens who follow the report (supported it instead of filing it again, or their duplicate
        # was merged into it) hear of its public steps, as the public sees them.
        skip = {report.reporter_id, event.actor_id}
        for follow in Follow.objects.filter(report=report).select_related("user").order_by("pk"):
            if follow.user_id not in skip and follow.user.is_active:
                skip.add(follow.user_id)
                result.append((follow.user, "follower"))
    staff_roles = (
        STAFF_ROLES
        if event.action in STAFF_EVENTS
        else [Role.LIAISON_OFFICER]
        if event.action in APPROVER_EVENTS
        else []
    )
    if staff_roles:
        if report.agency_id and event.action == A.SUBMIT:
            members = _submit_staff(report.agency, staff_roles)
        elif report.agency_id:
            members = list(
                Membership.objects.filter(agency_id=report.agency_id, role__in=staff_roles)
                .select_related("user")
                .order_by("pk")
            )
        else:
            members = Membership.objects.filter(role=Role.NATIONAL_ADMIN).select_related("user").order_by("pk")
        seen = {u.pk for u, _ in result} | ({event.actor_id} if event.actor_id else set())
        for m in members:
            if m.user_id not in seen and m.user.is_active:
                seen.add(m.user_id)
                result.append((m.user, "staff"))
    return result


def practice_recipients(event: Event) -> list[tuple[object, str]]:
    """A practice report's events reach its sandbox's trainees only (never a citizen, never real
    staff): those holding a staff role at or above the report's agency inside the sandbox."""
    report = event.report
    if event.action in STAFF_EVENTS:
        roles = STAFF_ROLES
    elif event.action in APPROVER_EVENTS:
        roles = [Role.LIAISON_OFFICER]
    else:
        return []
    agency_path = report.agency.path if report.agency_id else ""
    seats = TrainingSeat.objects.filter(sandbox_id=report.sandbox_id, role__in=roles).select_related("user", "agency")
    result, seen = [], {event.actor_id}
    for seat in seats.order_by("pk"):
        if seat.user_id not in seen and seat.user.is_active and agency_path.startswith(seat.agency.path):
            seen.add(seat.user_id)
            result.append((seat.user, "staff"))
    return result


def _submit_staff(agency, staff_roles) -> list[Membership]:
    """The holding agency's staff of `staff_roles`, and when it has no agency admin, its verifiers
    (verifiers_above): all from one query, built once per process (lapor/prepared.py: every
    submission asks it). Each membership's user carries only what a notification row needs (id,
    is_active, language; the rest is deferred)."""
    above = path_ids(agency.path)[:-1]
    rows, depth = [], {}
    for pk, user_id, agency_id, role, agency_depth, is_active, language in _SUBMIT_STAFF.rows(
        agency=agency.pk, roles=list(staff_roles), above=above
    ):
        member = Membership(pk=pk, user_id=user_id, agency_id=agency_id, role=role)
        loaded = {"id": user_id, "is_active": bool(is_active), "language": language}
        member.user = User.from_db("default", _USER_FIELDS, [loaded[name] for name in _USER_FIELDS])
        depth[agency_id] = agency_depth
        rows.append(member)
    own = [m for m in rows if m.agency_id == agency.pk and m.role in staff_roles]
    if any(m.role == Role.AGENCY_ADMIN for m in own):
        return own
    admins = sorted(
        (m for m in rows if m.agency_id in above and m.role == Role.AGENCY_ADMIN),
        key=lambda m: (-depth[m.agency_id], m.pk),
    )
    if admins:
        nearest = depth[admins[0].agency_id]
        return own + [m for m in admins if depth[m.agency_id] == nearest]
    return own + [m for m in rows if m.role == Role.NATIONAL_ADMIN]


# The user fields a notification row needs, in the model's order (Model.from_db takes them so).
_USER_FIELDS = [f.attname for f in User._meta.concrete_fields if f.attname in ("id", "is_active", "language")]
_SUBMIT_STAFF = Prepared(
    lambda agency, roles, above: (
        Membership.objects.filter(
            Q(agency_id=agency, role__in=roles)
            | Q(agency_id__in=above, role=Role.AGENCY_ADMIN)
            | Q(role=Role.NATIONAL_ADMIN)
        )
        .order_by("pk")
        .values_list("pk", "user_id", "agency_id", "role", "agency__depth", "user__is_active", "user__language")
    ),
    keep_plan=True,  # planned by PostgreSQL once per connection and shape (lapor/prepared.py: execute)
)


def verifiers_above(agency) -> list[Membership]:
    """Who verifies a new report routed to an agency without admins of its own (an OPD, a regency
    government nobody administers yet): the agency admins of the nearest agency above it that has
    any, else the national admins."""
    above = path_ids(agency.path)[:-1]
    admins = list(
        Membership.objects.filter(agency_id__in=above, role=Role.AGENCY_ADMIN)
        .select_related("user", "agency")
        .order_by("-agency__depth", "pk")
    )
    if admins:
        nearest = admins[0].agency.depth
        return [m for m in admins if m.agency.depth == nearest]
    return list(Membership.objects.filter(role=Role.NATIONAL_ADMIN).select_related("user").order_by("pk"))


# Other apps that must hear about every event (api: webhooks, channels: SMS/WhatsApp/e-mail) register
# a callable here from their AppConfig.ready(); it runs inside the action's transaction and must only
# queue work after commit. A listener returns True when it tells the reporter itself (a report filed
# through a messaging channel hears on that channel): no notification e-mail is written for them then.
EVENT_LISTENERS: list = []


def register_event_listener(listener) -> None:
    if listener not in EVENT_LISTENERS:
        EVENT_LISTENERS.append(listener)


def notify_event(event: Event) -> list[Notification]:
    """Write the notifications of one event (inside its transaction) and queue their delivery."""
    return write_notifications(event, prepare_notifications(event))


def prepare_notifications(event: Event) -> list[tuple[str, Notification]]:
    """The notification rows of `event`, not yet written: its recipients are read (one query) before
    the event is saved, so that the audit chain's lock, taken when it is, is held for as little as
    possible (workflow.submit; lapor/audit.py). (audience, unsaved row) pairs for write_notifications."""
    return [(audience, _render(user, audience, event)) for user, audience in recipients(event)]


def write_notifications(
    event: Event, prepared: list[tuple[str, Notification]], *, deliver: bool = True
) -> list[Notification]:
    """After `event` is saved: its listeners (webhooks, messaging channels), then the rows of
    prepare_notifications (minus the reporter's when a listener told them) and their delivery
    (`deliver=False`: the caller queues it with other work, in one message)."""
    reporter_told = False
    # Webhooks and messaging channels never hear of practice (a training sandbox's report).
    for listener in EVENT_LISTENERS if event.report.sandbox_id is None else ():
        reporter_told = bool(listener(event)) or reporter_told
    rows = [row for audience, row in prepared if not (reporter_told and audience == "reporter")]
    if rows:
        for row in rows:
            row.event = event  # saved now: its id
        insert_rows(rows)  # bulk_create without compiling the INSERT each time
        if deliver:
            enqueue_delivery([n.pk for n in rows])
    return rows


def _render(user, audience: str, event: Event) -> Notification:
    """The notification row, with its subject; the mail's body is rendered by the delivery task
    (render_body), outside the action's transaction."""
    report = event.report
    path = (  # reverse() once per worker and language (report_urls)
        report_url("complaints:detail", report.tracking_no)
        if audience in ("reporter", "follower")
        else report_url("admin:complaints_report_change", report.pk)
    )
    language = _language(user)
    # translation.override switches the thread's language there and back: only when it is another one.
    with translation.override(language) if language != translation.get_language() else contextlib.nullcontext():
        action = event.citizen_label if audience in ("reporter", "follower") else event.action_label
        subject = " ".join(f"[LAPOR! {report.tracking_no}] {action}: {_title_in_60(report.title)}".split())
    return Notification(
        user=user,
        report=report,
        event=event,
        kind=event.action,
        subject=subject[:200],
        body="",
        url=path,
        created_at=event.created_at,
    )


def _title_in_60(title: str) -> str:
    """Truncator(title).chars(60): a title of 60 characters or fewer (NFC-normalised, as Truncator reads it)
    is that title, without Truncator's walk over each character."""
    text = unicodedata.normalize("NFC", title)
    return text if len(text) <= 60 else Truncator(title).chars(60)


def _language(user) -> str:
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


def render_body(n: Notification) -> str:
    """The mail of an event's notification, in its recipient's language, for the audience _render
    wrote it for: "reporter" (the report's reporter: recipients() lists them first), "follower" (sent
    to the public page, like the reporter) or "staff" (sent to the admin). The status is the one the
    event left the report in."""
    event, report, user = n.event, n.report, n.user
    if report.reporter_id == user.pk:
        audience = "reporter"
    elif n.url == reverse("complaints:detail", args=[report.tracking_no]):
        audience = "follower"
    else:
        audience = "staff"
    with translation.override(_language(user)):
        status = Status(event.to_status).label if event.to_status in Status.values else report.get_status_display()
        ctx = {
            "user": user,
            "event": event,
            "report": report,
            "audience": audience,
            "action": event.citizen_label if audience in ("reporter", "follower") else event.action_label,
            "status": status,
            "url": settings.SITE_URL.rstrip("/") + n.url,
        }
        return render_to_string("emails/event_body.txt", ctx)


UNREAD_COUNTED = 100  # the nav shows "99+" beyond


def unread_count(user) -> int:
    """The user's unread notifications, counted up to 100 (the nav shows "99+")."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).order_by()[:UNREAD_COUNTED].count()


class _CountUpTo(Subquery):
    """COUNT(*) of a sliced subquery: the rows it gives, up to its LIMIT."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = IntegerField()


def unread_expression():
    """unread_count of a user (the outer row), read with the request's user (accounts/request_user.py)."""
    unread = Notification.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True).order_by().values("pk")
    return _CountUpTo(unread[:UNREAD_COUNTED])


def note_unread(user, count) -> None:
    """The request's user was read with their unread count: the nav's badge asks no query of its own."""
    user.lapor_unread_at_start = count


def enqueue_delivery(ids: Iterable[int]) -> None:
    """Mail these notifications after the commit (broker down: the outbox sweep sends them later)."""
    after_commit("complaints.tasks.deliver_notifications", list(ids))


def deliver(ids: Iterable[int]) -> int:
    """Mail these notifications, each at most once: a row is claimed by a conditional UPDATE. A mail
    that fails is released for a retry and the others are still sent; the first failure is raised
    afterwards, so that the task retries with backoff."""
    sent, failure = 0, None
    pending = Notification.objects.filter(pk__in=list(ids), email_sent_at__isnull=True)
    for n in pending.select_related("user", "event", "report"):
        rendered = {}
        if not n.body and n.event_id is not None:  # an event's mail, rendered here (see _render)
            n.body = rendered["body"] = render_body(n)
        claimed = Notification.objects.filter(pk=n.pk, email_sent_at__isnull=True).update(
            email_sent_at=timezone.now(), email_attempts=n.email_attempts + 1, **rendered
        )
        if claimed != 1:
            continue
        try:
            send_mail(n.subject, n.body, settings.DEFAULT_FROM_EMAIL, [n.user.email])
        except Exception as exc:
            Notification.objects.filter(pk=n.pk).update(email_sent_at=None)
            failure = failure or exc
            continue
        sent += 1
    if failure is not None:
        raise failure
    return sent


def deliver_pending(
    older_than: dt.timedelta = dt.timedelta(seconds=30), *, batch: int = 500, budget_seconds: float = 25
) -> int:
    """The outbox sweep (beat, every 30 seconds): mail what was never queued (the broker was down),
    whose task was lost, or what a sweep that died left behind, so every row leaves within about a
    minute. Batches follow one another until none is left or the time budget is spent; each row is
    tried once per run (keyset on created_at, pk). Rows are claimed one by one (see deliver), so
    overlapping runs and the queued tasks never send a mail twice."""
    cutoff = timezone.now() - older_than
    deadline = time.monotonic() + budget_seconds
    pending = Notification.objects.filter(email_sent_at__isnull=True, created_at__lte=cutoff, email_attempts__lt=10)
    after, sent, failure = Q(), 0, None
    while time.monotonic() < deadline:
        rows = list(pending.filter(after).order_by("created_at", "pk").values_list("created_at", "pk")[:batch])
        if not rows:
            break
        last_at, last_pk = rows[-1]
        after = Q(created_at__gt=last_at) | Q(created_at=last_at, pk__gt=last_pk)
        try:
            sent += deliver(pk for _at, pk in rows)
        except Exception as exc:  # the others of the batch were sent; go on with the next batch
            failure = failure or exc
    if failure is not None and not sent:
        raise failure
    return sent


STORAGE_ALERT = "storage_failure"
STORAGE_ALERT_EVERY = dt.timedelta(hours=1)


def alert_storage_failure(detail: str) -> bool:
    """Tell the national admins that the file store refuses uploads: once, not once per citizen (at
    most one alert an hour). Returns whether an alert was written."""
    now = timezone.now()
    if Notification.objects.filter(kind=STORAGE_ALERT, created_at__gte=now - STORAGE_ALERT_EVERY).exists():
        return False
    admins = {m.user_id: m.user for m in Membership.objects.filter(role=Role.NATIONAL_ADMIN).select_related("user")}
    rows = []
    for user in admins.values():
        if not user.is_active:
            continue
        with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
            rows.append(
                Notification(
                    user=user,
                    kind=STORAGE_ALERT,
                    subject=str(_("LAPOR: lampiran tidak dapat disimpan")),
                    body=str(
                        _(
                            "Penyimpanan berkas menolak unggahan lampiran (%(detail)s). Warga dan petugas melihat "
                            "pesan untuk mencoba lagi; tindakan mereka tidak tersimpan selama gangguan ini. Periksa "
                            "ruang disk dan izin tulis folder lampiran (PRIVATE_MEDIA_ROOT) atau layanan penyimpanan. "
                            "Peringatan berikutnya paling cepat satu jam lagi."
                        )
                    )
                    % {"detail": detail[:300]},
                    created_at=now,
                )
            )
    if not rows:
        log.error("The file store refuses uploads and no national admin can be told: %s", detail)
        return False
    Notification.objects.bulk_create(rows)
    enqueue_delivery([n.pk for n in rows])
    log.error("The file store refuses uploads (%s); %d national admin(s) alerted", detail, len(rows))
    return True


def send_entry_receipt(report, address: str) -> None:
    """A report recorded by staff for an address with no account: its receipt, mailed after the commit
    (an address with an account hears through the report's own notification), so the staff entry
    form answers the same whether the address is registered or not."""
    path = reverse("complaints:detail", args=[report.tracking_no])

    def _send():
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Laporan Anda dicatat: %(no)s") % {"no": report.tracking_no}
            body = _("Petugas LAPOR! mencatat laporan Anda “%(title)s”. Nomor laporan: %(no)s. Lacak di %(url)s") % {
                "title": report.title,
                "no": report.tracking_no,
                "url": settings.SITE_URL.rstrip("/") + path,
            }
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception:
            log.warning("Could not mail the receipt of %s", report.tracking_no, exc_info=True)

    transaction.on_commit(_send)
