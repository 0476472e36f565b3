from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

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

    def has_module_permission(self, request):
        # Only national administrators (superusers) manage accounts; agency staff manage
        # their people through Membership in the agencies admin.
        return request.user.is_superuser

    has_view_permission = has_change_permission = has_add_permission = has_delete_permission = (
        lambda self, request, obj=None: request.user.is_superuser
    )
