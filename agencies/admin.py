from django.contrib import admin

from complaints import access

from .models import Agency, Membership, Region


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "region", "timezone", "answers_need_approval", "is_active"]
    list_select_related = ["parent", "region"]
    list_filter = ["kind", "timezone", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "region"]
    show_full_result_count = False
    inlines = [MembershipInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if access.national_roles(request.user):
            return qs
        return qs.subtrees_of(access.staff_agencies(request.user))

    def has_module_permission(self, request):
        return access.is_staff_member(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_staff_member(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_national_admin(request.user)

    has_add_permission = has_delete_permission = lambda self, request, obj=None: access.is_national_admin(request.user)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "timezone"]
    list_filter = ["level", "timezone"]
    search_fields = ["code", "name"]

    def has_module_permission(self, request):
        return access.is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_staff_member(request.user)

    has_add_permission = has_change_permission = has_delete_permission = lambda self, request, obj=None: False
