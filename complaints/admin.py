from django.contrib import admin

from . import access, escalation
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


class RecomputesClocks:
    """Saving or deleting a limit or a calendar day gives the affected running clocks new due times."""

    def _recompute(self, obj, agency_id=None):
        kind = obj.kind if isinstance(obj, ClockLimit) else None
        escalation.queue_recompute(agency_id if agency_id is not None else obj.agency_id, kind)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        before = form.initial.get("agency") if change else None
        if before and before != obj.agency_id:
            self._recompute(obj, before)  # moved away from an agency: its clocks change too
        self._recompute(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._recompute(obj)

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        super().delete_queryset(request, queryset)
        for obj in objs:
            self._recompute(obj)


@admin.register(ClockLimit)
class ClockLimitAdmin(RecomputesClocks, NationalOnlyAdmin):
    list_display = ["kind", "classification", "complaint_kind", "agency", "days", "calendar_days"]
    list_filter = ["kind", "classification"]
    autocomplete_fields = ["agency"]


@admin.register(CalendarDay)
class CalendarDayAdmin(RecomputesClocks, NationalOnlyAdmin):
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
