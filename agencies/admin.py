from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext as _

from . import staffing
from .models import Agency, Membership, Region
from .roles import is_national_admin, is_staff_member, national_roles, staff_agencies, training_seats

# Report fields whose agency autocomplete may offer any active agency (a transfer or a copy leaves
# the subtree); every other agency autocomplete answers with the staff member's subtree only.
OPEN_AUTOCOMPLETE_FIELDS = {("complaints", "report", "suggested_agency")}


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["user"]
    extra = 0

    def has_view_permission(self, request, obj=None):
        return is_national_admin(request.user)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "region", "timezone", "answers_need_approval", "is_active", "approval"]
    list_select_related = ["parent", "region"]
    list_filter = ["kind", "timezone", "is_active", "approval"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "region"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Membership:  # a role given here makes its holder staff, as staffing.grant does
            for membership in [*formset.new_objects, *(m for m, _fields in formset.changed_objects)]:
                staffing.make_staff(membership.user)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if national_roles(request.user):
            return qs
        if self._is_open_autocomplete(request):
            return qs.active()
        # Trainees dispatch and forward practice reports inside their sandbox's agency subtree.
        return qs.subtrees_of([*staff_agencies(request.user), *(s.agency for s in training_seats(request.user))])

    @staticmethod
    def _is_open_autocomplete(request):
        match = getattr(request, "resolver_match", None)
        if not match or match.url_name != "autocomplete":
            return False
        key = (request.GET.get("app_label"), request.GET.get("model_name"), request.GET.get("field_name"))
        return key in OPEN_AUTOCOMPLETE_FIELDS

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Data tidak ditemukan."))
        return obj

    def has_module_permission(self, request):
        return is_staff_member(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request.user)

    def has_change_permission(self, request, obj=None):
        return is_national_admin(request.user)

    def has_add_permission(self, request):
        return is_national_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_national_admin(request.user)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "timezone"]
    list_filter = ["level", "timezone"]
    search_fields = ["code", "name"]
    show_facets = admin.ShowFacets.NEVER

    def has_module_permission(self, request):
        return is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request.user)

    def has_add_permission(self, request):
        return False

    has_change_permission = has_delete_permission = lambda self, request, obj=None: False
