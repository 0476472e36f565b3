from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from agencies.roles import is_national_admin

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
