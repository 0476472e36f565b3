"""Report list filters that the dashboards' numbers link to: a category with its sub-categories, and
reports by a deadline's outcome (or an escalation) within a period, for the agency that held the clock.

They narrow the admin queryset, which is already limited to what the user may see (access.py).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, in_subtrees
from lapor import refcache

from .models import AGENCY_CLOCKS, Category, Clock, ClockKind, ClockStep

ESCALATED = "escalated"
OUTCOMES = {
    "missed": _("terlambat"),
    "met": _("tepat waktu"),
    "judged": _("semua yang berakhir"),
}


class CategoryTreeFilter(admin.SimpleListFilter):
    """A top-level category includes its sub-categories (the dashboards count by top-level category)."""

    title = _("kategori")
    parameter_name = "kategori"

    def lookups(self, request, model_admin):
        return refcache.get("admin-choices:categories", self._tree)

    @staticmethod
    def _tree():
        """Each top-level category followed by its sub-categories (reference data: kept per generation)."""
        rows = list(Category.objects.order_by("position", "name").values_list("pk", "name", "parent_id"))
        parents = [(pk, name) for pk, name, parent in rows if parent is None]
        children: dict[int, list] = {}
        for pk, name, parent in rows:
            if parent is not None:
                children.setdefault(parent, []).append((pk, f"— {name}"))
        return [item for parent in parents for item in (parent, *children.get(parent[0], []))]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            raise IncorrectLookupParameters(value)
        ids = [int(value), *Category.objects.filter(parent_id=value).values_list("pk", flat=True)]
        return queryset.filter(category_id__in=ids)


class DeadlineFilter(admin.ListFilter):
    """`tenggat=<clock kind>:<missed|met|judged>` or `tenggat=escalated`, optionally bounded by when the
    clock ended (or the escalation step was taken): `tenggat_dari` ≤ moment < `tenggat_sampai` (ISO 8601),
    and by the agency subtree that held the clock: `tenggat_instansi=<agency id>`. "judged" is every clock
    compliance is measured on (Clock.objects.judged()): the dashboards' "due"."""

    title = _("tenggat waktu")
    template = "admin/filter.html"
    parameter_name = "tenggat"
    bounds = ("tenggat_dari", "tenggat_sampai", "tenggat_instansi")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.used = {name: params.pop(name)[-1] for name in self.expected_parameters() if name in params}

    def expected_parameters(self):
        return [self.parameter_name, *self.bounds]

    def has_output(self):
        return True

    def options(self):
        for kind in ClockKind:
            if kind in AGENCY_CLOCKS:
                for outcome in ("missed", "met"):
                    yield f"{kind.value}:{outcome}", f"{kind.label}: {OUTCOMES[outcome]}"
        yield ESCALATED, _("Dieskalasi")

    def choices(self, changelist):
        value = self.used.get(self.parameter_name)
        yield {
            "selected": value is None,
            "query_string": changelist.get_query_string(remove=self.expected_parameters()),
            "display": _("Semua"),
        }
        for key, label in self.options():
            yield {
                "selected": value == key,
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.used.get(self.parameter_name)
        if not value:
            return queryset
        if value == ESCALATED:
            facts, moment, holder = (
                ClockStep.objects.filter(step__in=ClockStep.ESCALATIONS),
                "created_at",
                "clock__agency",
            )
        else:
            kind, _sep, outcome = value.partition(":")
            if kind not in AGENCY_CLOCKS or outcome not in OUTCOMES:
                raise IncorrectLookupParameters(value)
            facts, moment, holder = Clock.objects.judged().filter(kind=kind), "stopped_at", "agency"
            if outcome != "judged":
                facts = facts.filter(state=outcome)
        for name, lookup in (("tenggat_dari", "gte"), ("tenggat_sampai", "lt")):
            if name in self.used:
                instant = parse_datetime(self.used[name])
                if instant is None:
                    raise IncorrectLookupParameters(name)
                facts = facts.filter(**{f"{moment}__{lookup}": instant})
        if "tenggat_instansi" in self.used:
            agency = self.used["tenggat_instansi"]
            holding = Agency.objects.filter(pk=agency).only("path").first() if agency.isdigit() else None
            if holding is None:
                raise IncorrectLookupParameters(agency)
            facts = facts.filter(in_subtrees([holding], holder))
        return queryset.filter(pk__in=facts.values("report_id"))
