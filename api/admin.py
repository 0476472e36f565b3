"""API keys and webhooks in the admin: developers and agency admins manage their agency subtree's."""

from django.contrib import admin
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Membership
from agencies.roles import is_national_admin

from . import webhooks
from .models import ApiKey, Webhook, WebhookDelivery

MANAGERS = {Membership.Role.DEVELOPER, Membership.Role.AGENCY_ADMIN}
NEW_KEY_SESSION = "lapor:new-api-key"


def managed_agencies(user):
    """Agencies (subtree roots) whose keys and webhooks `user` manages; None means all (national admin)."""
    if is_national_admin(user):
        return None
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_lapor_key_managers", None)  # the admin asks once per model on every page
    if cached is None:
        cached = [m.agency for m in user.memberships.select_related("agency").filter(role__in=MANAGERS)]
        user._lapor_key_managers = cached
    return cached


class AgencyScopedAdmin(admin.ModelAdmin):
    def _scope(self, request):
        return managed_agencies(request.user)

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("agency")
        scope = self._scope(request)
        return qs if scope is None else qs.filter(agency__in=Agency.objects.subtrees_of(scope))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agency":
            scope = self._scope(request)
            kwargs["queryset"] = Agency.objects.all() if scope is None else Agency.objects.subtrees_of(scope)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return self._scope(request) != []

    has_view_permission = has_add_permission = has_change_permission = has_delete_permission = (
        lambda self, request, obj=None: self._scope(request) != []
    )


@admin.register(ApiKey)
class ApiKeyAdmin(AgencyScopedAdmin):
    list_display = ["name", "agency", "prefix", "is_sandbox", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "is_sandbox"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return (
            ["agency", "name", "is_sandbox"] if obj is None else ["agency", "name", "is_sandbox", *self.readonly_fields]
        )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else ["agency", "is_sandbox", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        key, raw = ApiKey.issue(agency=obj.agency, name=obj.name, created_by=request.user, is_sandbox=obj.is_sandbox)
        obj.pk, obj.prefix, obj.created_at = key.pk, key.prefix, key.created_at
        obj._state.adding = False
        # Shown once on the key's page from the session (kept on the server), never in the messages
        # cookie: the cookie is signed, not encrypted.
        request.session[NEW_KEY_SESSION] = {"pk": key.pk, "raw": raw}

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:api_apikey_change", args=[obj.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        new = request.session.get(NEW_KEY_SESSION)
        if new and str(new["pk"]) == str(object_id):
            del request.session[NEW_KEY_SESSION]
            extra_context = {**(extra_context or {}), "new_raw_key": new["raw"]}
        response = super().change_view(request, object_id, form_url, extra_context)
        response["Cache-Control"] = "private, no-store"
        return response

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the timeline keeps the key's service user as actor

    @admin.action(description=_("Cabut kunci API terpilih"))
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True).select_related("service_user"))
        for key in keys:
            key.revoke()
        self.message_user(request, _("%(n)s kunci dicabut.") % {"n": len(keys)})


@admin.register(Webhook)
class WebhookAdmin(AgencyScopedAdmin):
    list_display = ["url", "agency", "is_active", "created_at"]
    list_filter = ["is_active"]
    fields = ["agency", "url", "secret", "is_active"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["send_test"]

    @admin.action(description=_("Kirim pengiriman uji ke webhook terpilih"))
    def send_test(self, request, queryset):
        rows = webhooks.send_test(list(queryset.filter(is_active=True)))
        self.message_user(
            request,
            _("%(n)s pengiriman uji diantrekan; hasilnya tampil di Pengiriman webhook.") % {"n": len(rows)},
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AgencyScopedAdmin):
    """The outbox, read-only: what was sent where, and what is still waiting."""

    list_display = ["webhook", "created_at", "done_at", "attempts", "last_status", "last_error"]
    list_filter = [("done_at", admin.EmptyFieldListFilter)]
    list_select_related = ["webhook"]
    readonly_fields = [
        "webhook",
        "message_id",
        "payload",
        "created_at",
        "done_at",
        "attempts",
        "next_attempt_at",
        "last_status",
        "last_error",
    ]
    show_full_result_count = False
    actions = ["resend"]

    @admin.action(description=_("Kirim ulang pengiriman terpilih"))
    def resend(self, request, queryset):
        rows = webhooks.resend(list(queryset.select_related("webhook")))
        self.message_user(request, _("%(n)s pengiriman diantrekan ulang.") % {"n": len(rows)})

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        scope = self._scope(request)
        return qs if scope is None else qs.filter(webhook__agency__in=Agency.objects.subtrees_of(scope))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
