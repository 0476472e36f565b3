from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from agencies.roles import is_national_admin

from . import otp
from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "full_name", "phone", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "email_verified"]
    search_fields = ["email", "full_name", "phone"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Data diri"), {"fields": ["full_name", "display_name", "phone", "nik", "language", "email_verified"]}),
        (_("Hak akses"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Waktu"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]

    show_facets = admin.ShowFacets.NEVER
    actions = ["reset_second_factor"]

    @admin.action(description=_("Atur ulang verifikasi dua langkah (ponsel hilang)"))
    def reset_second_factor(self, request, queryset):
        """A national admin's reset: the accounts' authenticator apps and recovery codes stop working
        and each enrols anew at its next login (its open sessions lose the second factor at once)."""
        if not is_national_admin(request.user):
            raise Http404
        users = list(queryset)
        for user in users:
            otp.reset(user)
            self.log_change(request, user, "second factor reset")
        self.message_user(
            request,
            _("Verifikasi dua langkah %(n)s akun sudah diatur ulang; mereka mendaftarkan aplikasi baru saat masuk.")
            % {"n": len(users)},
            messages.SUCCESS,
        )

    # Only national administrators manage accounts (their role, not Django model permissions);
    # agency staff never browse citizens' accounts, so anonymous reporters cannot be found here.
    def has_module_permission(self, request):
        return is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_national_admin(request.user)

    def has_add_permission(self, request):
        return is_national_admin(request.user)

    has_change_permission = has_delete_permission = has_view_permission

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field) if self.has_view_permission(request) else None
        if obj is None:
            raise Http404
        return obj


@admin.register(AccessAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    """Failed logins per account and address (django-axes); unlocking deletes the attempts."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "path_info"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    fields = list_display
    readonly_fields = list_display
    actions = ["unlock"]
    show_facets = admin.ShowFacets.NEVER

    def has_module_permission(self, request):
        return is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_national_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    has_delete_permission = has_view_permission

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Buka kunci (hapus percobaan gagal)"), permissions=["delete"])
    def unlock(self, request, queryset):
        count = queryset.count()
        queryset.delete()
        self.message_user(
            request, _("%(n)s catatan percobaan gagal dihapus; akun/alamat itu bisa masuk lagi.") % {"n": count}
        )
