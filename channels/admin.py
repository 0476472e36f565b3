"""The citizen's conversation on the admin report page, for staff who may see the report (the
report admin checked that); the sender's number or address only for those who may see the
reporter's identity (access.reporter_shown_to: never agency staff on an Anonim report)."""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.roles import is_national_admin, national_roles, staff_agencies
from complaints import access
from complaints.admin import StaffScopedAdmin
from complaints.models import Report
from lapor.queue import after_commit

from .models import Contact, Conversation, Message


def conversation_panel(request, report, reporter_shown):
    conversation = Conversation.objects.filter(report=report).select_related("contact").first()
    if conversation is None:
        return None
    messages = list(
        Message.objects.filter(conversation=conversation)
        .only("direction", "text", "state", "created_at", "status_at", "error", "channel", "conversation_id")
        .order_by("created_at", "pk")
    )
    return (
        "admin/channels/_conversation.html",
        {
            "conversation": conversation,
            "messages": messages,
            "contact": conversation.contact.address if reporter_shown["full"] else str(_("Anonim")),
            "channel": conversation.get_channel_display(),
        },
    )


# --- The staff's lists: contacts and every message in and out (failed deliveries with a retry) ---


def _reports_in_scope(user):
    return access.staff_reports(user).values("pk")


def contact_is_anonymous(contact_id) -> Exists:
    """A sender who ever asked for Anonim (a filed report or a draft): their address is shown to
    nobody in these lists, national admins included (break-glass is one report at a time)."""
    return Exists(
        Conversation.objects.filter(contact_id=contact_id).filter(
            Q(report__is_anonymous=True) | Q(draft__anonymous=True)
        )
    )


class ChannelScopedAdmin(StaffScopedAdmin):
    """Read-only lists for staff: agency staff see what belongs to the reports in their scope;
    national roles everything, with messages outside any report for national admins only."""

    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ChannelScopedAdmin):
    list_display = ["created_at", "direction", "channel", "sender", "report_link", "state", "attempts", "excerpt"]
    list_filter = ["direction", "channel", "state"]
    date_hierarchy = None
    ordering = ["-created_at", "-pk"]
    fields = ["created_at", "direction", "channel", "sender", "report_link", "state", "attempts", "error", "text"]
    readonly_fields = fields
    actions = ["retry"]

    def get_queryset(self, request):
        qs = (
            super()
            .get_queryset(request)
            .select_related("conversation__report__agency", "conversation__contact")
            .annotate(anonymous_sender=contact_is_anonymous(OuterRef("conversation__contact_id")))
        )
        user = request.user
        if is_national_admin(user):
            return qs
        if national_roles(user):  # supervisors: every report's conversation, nothing outside one
            return qs.filter(conversation__report__isnull=False)
        return qs.filter(conversation__report__in=_reports_in_scope(user))

    @admin.display(description=_("alamat/nomor"))
    def sender(self, obj):
        return _shown_address(self._request, obj.address, obj.conversation, obj.anonymous_sender)

    @admin.display(description=_("laporan"))
    def report_link(self, obj):
        report = obj.conversation.report if obj.conversation_id else None
        if report is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:complaints_report_change", args=[report.pk]), report.tracking_no
        )

    @admin.display(description=_("isi"))
    def excerpt(self, obj):
        text = obj.text or obj.subject
        return (text[:77] + "…") if len(text) > 80 else text

    def get_changelist_instance(self, request):
        self._request = request
        return super().get_changelist_instance(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._request = request
        return super().change_view(request, object_id, form_url, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not _acting_reports(request.user).exists() and not is_national_admin(request.user):
            actions.pop("retry", None)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Kirim ulang pesan keluar yang gagal"))
    def retry(self, request, queryset):
        """Failed deliveries go back to the outbox, for the staff who act on their reports."""
        failed = queryset.filter(direction=Message.Direction.OUT, state=Message.State.FAILED)
        if not is_national_admin(request.user):
            failed = failed.filter(conversation__report__in=_acting_reports(request.user).values("pk"))
        ids = list(failed.values_list("pk", flat=True))
        with transaction.atomic():
            Message.objects.filter(pk__in=ids, state=Message.State.FAILED).update(
                state=Message.State.QUEUED, attempts=0, next_attempt_at=None, error=""
            )
            for pk in ids:
                after_commit("channels.tasks.send_message", pk)
        if ids:
            messages.success(request, gettext("%(n)s pesan dikirim ulang.") % {"n": len(ids)})
        else:
            messages.warning(request, gettext("Tidak ada pesan gagal yang dapat Anda kirim ulang di pilihan itu."))


def _acting_reports(user):
    """Reports on which `user` acts (may answer): the scope of the retry."""
    agencies = staff_agencies(user, access.STAFF_ACTING_ROLES)
    return Report.objects.handled_by_subtrees(agencies) if agencies else Report.objects.none()


def _shown_address(request, address, conversation, anonymous_sender) -> str:
    """The address or number, or "Anonim": hidden for a sender who ever asked for Anonim, and from
    staff who may not see the reporter of the message's report."""
    if anonymous_sender:
        return str(access.ANONYMOUS_LABEL)
    user = request.user
    report = conversation.report if conversation is not None else None
    if report is None:
        return address if is_national_admin(user) else str(access.ANONYMOUS_LABEL)
    return address if access.can_see_identity(user, report) else str(access.ANONYMOUS_LABEL)


@admin.register(Contact)
class ContactAdmin(ChannelScopedAdmin):
    list_display = ["channel", "shown_address", "reports", "created_at"]
    list_filter = ["channel"]
    ordering = ["-created_at", "-pk"]
    fields = ["channel", "shown_address", "reports", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        user = request.user
        filed = Q(conversations__report__isnull=False)
        if not national_roles(user):
            filed &= Q(conversations__report__in=_reports_in_scope(user))
        qs = (
            super()
            .get_queryset(request)
            .annotate(
                anonymous_sender=contact_is_anonymous(OuterRef("pk")), report_count=Count("conversations", filter=filed)
            )
        )
        if is_national_admin(user):
            return qs
        return qs.filter(report_count__gt=0)

    @admin.display(description=_("alamat/nomor"))
    def shown_address(self, obj):
        # Listed only with a report the viewer may see; a sender who ever asked for Anonim stays
        # "Anonim" for everybody (the report page's break-glass is the one way to the identity).
        return str(access.ANONYMOUS_LABEL) if obj.anonymous_sender else obj.address

    @admin.display(description=_("laporan"))
    def reports(self, obj):
        return obj.report_count
