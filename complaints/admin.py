from django.contrib import admin

from . import access
from .models import CalendarDay, Category, ClockLimit, Report, ResponseTemplate, RoutingRule


class StaffScopedAdmin(admin.ModelAdmin):
    """Staff see only what their role and agency subtree may see; others get 404."""

    def has_module_permission(self, request):
        return access.is_staff_member(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_staff_member(request.user)


class NationalOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return access.is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_national_admin(request.user)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(Report)
class ReportAdmin(StaffScopedAdmin):
    list_display = ["tracking_no", "title", "category", "regency", "agency", "status", "due_at"]
    list_select_related = ["category", "regency", "agency"]
    list_filter = ["status", "classification", "channel"]
    search_fields = ["=tracking_no", "title"]
    show_full_result_count = False
    ordering = ["due_at"]
    readonly_fields = [f.name for f in Report._meta.fields if f.name not in ("id",)]
    exclude = ["reporter", "reporter_name", "reporter_contact"]

    def get_queryset(self, request):
        return access.staff_reports(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return access.is_staff_member(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(NationalOnlyAdmin):
    list_display = ["name", "parent", "code", "position", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "code"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(NationalOnlyAdmin):
    list_display = ["category", "region", "agency"]
    autocomplete_fields = ["agency"]
    raw_id_fields = ["category", "region"]


@admin.register(ClockLimit)
class ClockLimitAdmin(NationalOnlyAdmin):
    list_display = ["kind", "classification", "complaint_kind", "agency", "days", "calendar_days"]
    list_filter = ["kind", "classification"]
    autocomplete_fields = ["agency"]


@admin.register(CalendarDay)
class CalendarDayAdmin(NationalOnlyAdmin):
    list_display = ["date", "name", "kind", "agency"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    autocomplete_fields = ["agency"]


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(StaffScopedAdmin):
    list_display = ["title", "agency"]
    autocomplete_fields = ["agency"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("agency")
        if access.national_roles(request.user):
            return qs
        from agencies.models import Agency

        return qs.filter(agency__in=Agency.objects.subtrees_of(access.staff_agencies(request.user)))
