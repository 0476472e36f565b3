"""The figures of a dashboard: read from DailyStat/DurationStat, turned into the DESIGN.md
indicators, cached per (scope, language, period) under a generation key that every rebuild bumps.

Some figures are current state, not flows, so they are counted live with one grouped query each over
Report: the status funnel (reports filed in the period, by their status now), the backlog by age (open
reports now) and, for staff, the top districts and the map of open reports. They are kept under the
version of the reports the scope's agencies hold (complaints/holders.py: every save of a report bumps
its holder's before and after), so they are as current as the scope's reports themselves, and a change
elsewhere in the country does not make them be counted again; the backlog's ages also expire after
LIVE_CACHE_SECONDS. All scope by the current holder (Report.agency in the subtree, the `report_queue`
index), whereas the flows count for the agency responsible when each event happened (aggregation.py).

Every figure says how fresh it is: the flows count every event up to `counted_until` (the days'
rebuilds, aggregation.counted_until), the live ones are as of `live_at`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Count, F, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Substr
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agencies.models import Agency, Region, in_subtrees
from complaints import holders, places
from complaints.models import OPEN_STATUSES, AnyOf, Category, Channel, Classification, Report, Status

from .aggregation import counted_until, day_bounds, generation, rebuild_stale_recent
from .models import COUNTERS, DailyStat, DurationStat

CACHE_SECONDS = 6 * 3600
LIVE_CACHE_SECONDS = 300  # the backlog's ages move on with the clock even when no report changes
# Backlog age buckets in calendar days since filing: (label, from days, to days exclusive).
BACKLOG_BUCKETS = [
    ("0–3", 0, 4),
    ("4–7", 4, 8),
    ("8–14", 8, 15),
    ("15–30", 15, 31),
    ("31–60", 31, 61),
    ("> 60", 61, None),
]
# The published ranking formula: weights of resolved on time, first follow-up on time, satisfaction.
SCORE_WEIGHTS = {"res_on_time": 0.4, "ffu_on_time": 0.3, "satisfaction": 0.3}
MEASURES = [m.value for m in DurationStat.Measure]


@dataclass(frozen=True)
class Scope:
    """Whose figures: an agency subtree (None: the whole country), public or staff. The public
    figures count what Report.objects.not_confidential() holds — every report but the Rahasia ones,
    including those not yet verified or removed as junk, whose verification is itself an indicator;
    no public figure lists a report (that would be public())."""

    agency: Agency | None = None
    public: bool = False
    # A district (Kemendagri code) inside the scope: every figure counts only the reports there.
    kecamatan: str = ""

    @property
    def key(self) -> str:
        return f"{self.agency.pk if self.agency else 'all'}:{'pub' if self.public else 'staff'}:{self.kecamatan}"


def _ratio(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def indicators(s: dict) -> dict:
    """The DESIGN.md indicators of summed counters (None where there is nothing to divide by)."""
    mean = round(s["rating_sum"] / s["rating_count"], 2) if s["rating_count"] else None
    result = {
        "ver_on_time": _ratio(s["ver_met"], s["ver_due"]),
        "ffu_on_time": _ratio(s["ffu_met"], s["ffu_due"]),
        "res_on_time": _ratio(s["res_met"], s["res_due"]),
        "follow_up_rate": _ratio(s["followed_up"], s["dispatched"]),
        "completion_rate": _ratio(s["completed"], s["received"]),
        "bounce_rate": _ratio(s["bounced"], s["dispatched"]),
        "reopen_rate": _ratio(s["reopened"], s["completed"]),
        "rating_mean": mean,
        "rating_ge4_share": _ratio(s["rating_ge4"], s["rating_count"]),
        "auto_share": _ratio(s["auto_completed"], s["completed"]),
    }
    result["score"] = score(result)
    return result


def score(ind: dict) -> float | None:
    """40% resolved on time + 30% first follow-up on time + 30% satisfaction ((mean − 1) ÷ 4), each 0–100;
    a part without data is left out and the others' weights are scaled up to 100%."""
    parts = {
        "res_on_time": ind["res_on_time"],
        "ffu_on_time": ind["ffu_on_time"],
        "satisfaction": None if ind["rating_mean"] is None else 100.0 * (ind["rating_mean"] - 1) / 4,
    }
    weight = sum(SCORE_WEIGHTS[k] for k, v in parts.items() if v is not None)
    if not weight:
        return None
    return round(sum(SCORE_WEIGHTS[k] * v for k, v in parts.items() if v is not None) / weight, 1)


def _sums() -> dict:
    return {name: Coalesce(Sum(name), 0) for name in COUNTERS}


def _row(values: dict) -> dict:
    counters = {name: values.get(name) or 0 for name in COUNTERS}
    return {**counters, **indicators(counters)}


def in_scope(qs, agency: Agency):
    """`qs` (rows with an `agency`) narrowed to `agency`'s subtree. On PostgreSQL the subtree's agency ids
    are computed first (`agency_id = ANY(ARRAY(SELECT …))`, complaints.models.AnyOf) so the rows are read
    through an index on the agency: written as a join to the agencies' paths, the planner read every row
    of the period (all the country's day rows, 76,000 for 31 days at 100k reports) to keep the scope's few."""
    if connections[qs.db].vendor == "postgresql":
        subtree = Agency.objects.filter(in_subtrees([agency])).values("pk")
        return qs.filter(AnyOf(F("agency_id"), Subquery(subtree)))
    return qs.filter(in_subtrees([agency], "agency"))


def stats_for(scope: Scope, first: dt.date, last: dt.date, model=DailyStat):
    qs = model.objects.filter(date__gte=first, date__lte=last)
    if scope.agency is not None:
        qs = in_scope(qs, scope.agency)
    if scope.public:
        qs = qs.filter(confidential=False)  # the aggregates' dimension of Report.is_confidential
    if scope.kecamatan:
        qs = qs.filter(kecamatan_id=scope.kecamatan)
    return qs


def reports_for(scope: Scope):
    qs = Report.objects.real()
    if scope.agency is not None:
        qs = in_scope(qs, scope.agency)
    if scope.public:
        qs = qs.not_confidential()
    if scope.kecamatan:
        qs = qs.filter(places.area_filter(scope.kecamatan))
    return qs


def percentile(histogram: dict[int, int], q: float):
    total = sum(histogram.values())
    if not total:
        return None
    running = 0
    for days in sorted(histogram):
        running += histogram[days]
        if running >= q * total:
            return days
    return max(histogram)


def _breakdown(summed: list[dict], key_field: str, labels: dict) -> list[dict]:
    rows = []
    for values in _by_key(summed, key_field):
        key = values[key_field]
        rows.append({"key": key, "label": str(labels.get(key, key or "—")), **_row(values)})
    return sorted(rows, key=lambda r: -r["received"])


# The cuts of the day rows a dashboard shows (the day rows' field of each), all summed by one statement.
CUTS = ["category", "province", "classification", "channel", "agency", "date"]


# Cuts summed together by one grouping set, then each summed again in Python from the set's few rows (3
# classifications x 8 channels; a subtree's agencies, each in one province or a few): each grouping set of the
# statement costs a pass of the day rows (at 2,000,000 reports four sets, not six: 1.9 -> 1.6 ms).
PAIRED_CUTS = [("classification", "channel"), ("agency", "province")]


def _grouping_sets(cuts: list[str]) -> list[tuple[str, ...]]:
    sets = [pair for pair in PAIRED_CUTS if all(c in cuts for c in pair)]
    paired = {c for pair in sets for c in pair}
    return sets + [(c,) for c in cuts if c not in paired]


def cut_sums(stats, cuts: list[str]) -> dict[str, list[dict]]:
    """The counters of the day rows `stats` summed by each of `cuts`: {cut: [{cut: key, **counters}]}. The
    "category" cut sums by top-level category (a category's parent, or itself), each row with that category's
    names (category__name, category__name_en); the "province" cut's rows have the province's name.

    On PostgreSQL one statement reads the rows once and sums them by every cut (GROUP BY GROUPING SETS),
    grouped by ids only; a province's name is joined to its few summed rows, not to every day row. One
    statement per cut, each read the scope's rows of the period again and planned on its own: at 2,000,000
    reports seven of them took 4.8 ms of execution for a regency's 1,585 day rows of 31 days, and most of
    the growth from 100,000 (1.7 ms) was the reads and the joins repeated. Elsewhere (SQLite) one grouped
    query per cut."""
    connection = connections[stats.db]
    if connection.vendor != "postgresql":
        named = {"province": ["province__name"]}  # a province's name with its figures
        result = {
            cut: list(stats.values(cut, *named.get(cut, [])).annotate(**_sums()).order_by())
            for cut in cuts
            if cut != "category"
        }
        if "category" in cuts:
            by_group = stats.annotate(group=Coalesce(F("category__parent_id"), F("category_id")))
            rows = list(by_group.values("group").annotate(**_sums()).order_by())
            names = Category.objects.filter(pk__in=[r["group"] for r in rows]).values_list("pk", "name", "name_en")
            names = {pk: (name, name_en) for pk, name, name_en in names}
            result["category"] = [
                {"category": r["group"], **_category_names(*names.get(r["group"], (None, None))), **r} for r in rows
            ]
        return result
    qn = connection.ops.quote_name
    rows_sql, params = stats.values(*cuts, *COUNTERS).query.sql_with_params()
    sets = _grouping_sets(cuts)
    columns = ", ".join(qn(c) for c in cuts)
    sums = ", ".join(f"SUM({qn(c)}) AS {qn(c)}" for c in COUNTERS)
    grouping = ", ".join(f"({', '.join(qn(c) for c in cut_set)})" for cut_set in sets)
    sql = (
        f"SELECT GROUPING({columns}) AS grouped, {columns}, {sums} "
        f"FROM ({rows_sql}) day_rows GROUP BY GROUPING SETS ({grouping})"
    )
    # Names joined to the summed rows, not to every day row: a province's; a category's top-level category
    # (its parent, or itself), the dashboards' category figures, with its names.
    named, joins = [], []
    if "province" in cuts:
        region = Region._meta
        named.append(f"r.{qn(region.get_field('name').column)} AS province__name")
        joins.append(f"LEFT JOIN {qn(region.db_table)} r ON r.{qn(region.pk.column)} = sums.{qn('province')}")
    if "category" in cuts:
        category = Category._meta
        table, pk, parent = qn(category.db_table), qn(category.pk.column), qn(category.get_field("parent").column)
        top = f"COALESCE(c.{parent}, c.{pk})"
        named += [
            f"{top} AS category__group",
            f"g.{qn(category.get_field('name').column)} AS category__name",
            f"g.{qn(category.get_field('name_en').column)} AS category__name_en",
        ]
        joins += [
            f"LEFT JOIN {table} c ON c.{pk} = sums.{qn('category')}",
            f"LEFT JOIN {table} g ON g.{pk} = {top}",
        ]
    if named:
        sql = f"SELECT sums.*, {', '.join(named)} FROM ({sql}) sums {' '.join(joins)}"
    # GROUPING(cuts…) has a bit per cut, the first the highest, set where the row is not grouped by it.
    bit = {cut: 1 << (len(cuts) - 1 - i) for i, cut in enumerate(cuts)}
    set_of = {sum(bit[c] for c in cuts if c not in cut_set): cut_set for cut_set in sets}
    summed: dict[str, dict] = {cut: {} for cut in cuts}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values))
            for cut in set_of[row["grouped"]]:
                key = row["category__group"] if cut == "category" else row[cut]
                into = summed[cut].get(key)
                if into is None:
                    into = summed[cut][key] = {cut: key, **dict.fromkeys(COUNTERS, 0)}
                    if cut == "province":
                        into["province__name"] = row["province__name"]
                    elif cut == "category":
                        into |= _category_names(row["category__name"], row["category__name_en"])
                for name in COUNTERS:
                    into[name] += row[name] or 0
    return {cut: list(rows.values()) for cut, rows in summed.items()}


def _category_names(name, name_en) -> dict:
    return {"category__name": name, "category__name_en": name_en}


def _by_key(rows: list[dict], key: str) -> list[dict]:
    """Rows in the order of their key, a missing key (None) last (PostgreSQL's ORDER BY)."""
    return sorted(rows, key=lambda r: (r[key] is None, r[key]))


def _summed(rows) -> dict:
    total = dict.fromkeys(COUNTERS, 0)
    for r in rows:
        for name in COUNTERS:
            total[name] += r[name] or 0
    return total


def duration_sums(scope: Scope, first: dt.date, last: dt.date):
    """The scope's histogram of working days in the period: (measure, days, n) rows. A subtree's is read from
    durationstat_agency_date_cover alone (agency, date; with the measure, the days and the count)."""
    return stats_for(scope, first, last, DurationStat).values("measure", "days").annotate(n=Sum("count")).order_by()


def compute(scope: Scope, first: dt.date, last: dt.date) -> dict:
    """Every figure of a dashboard, uncached (a handful of queries whatever the number of reports)."""
    stats = stats_for(scope, first, last)
    # The whole country's ranking sums its thousands of agencies by path in the database (_branch_sums).
    cuts = cut_sums(stats, CUTS if scope.agency is not None else [c for c in CUTS if c != "agency"])
    # Every day row has a classification: the cut's rows add up to the totals.
    totals = _row(_summed(cuts["classification"]))

    # A category's figures count under its top-level category (cut_sums), named in the visitor's language.
    by_category = sorted(
        (
            {
                "key": r["category"],
                "label": Category(name=r["category__name"], name_en=r["category__name_en"] or "").label
                if r["category__name"] is not None
                else "—",
                **_row(r),
            }
            for r in _by_key(cuts["category"], "category")
        ),
        key=lambda r: -r["received"],
    )

    by_province = sorted(
        (
            {"key": r["province"], "label": r["province__name"] or "—", **_row(r)}
            for r in _by_key(cuts["province"], "province")
        ),
        key=lambda r: -r["received"],
    )

    durations = {m: {} for m in MEASURES}
    for r in duration_sums(scope, first, last):
        durations[r["measure"]][r["days"]] = r["n"]

    return {
        "first": first,
        "last": last,
        "counted_until": counted_until(first, last),
        "totals": totals,
        "by_classification": _breakdown(cuts["classification"], "classification", dict(Classification.choices)),
        "by_channel": _breakdown(cuts["channel"], "channel", dict(Channel.choices)),
        "by_category": by_category,
        "by_province": by_province,
        "by_child": _by_child(scope, stats, cuts.get("agency")),
        "trend": _trend(cuts["date"], first, last),
        "durations": [
            {
                "measure": m,
                "label": str(DurationStat.Measure(m).label),
                "count": sum(durations[m].values()),
                "median": percentile(durations[m], 0.5),
                "p90": percentile(durations[m], 0.9),
            }
            for m in MEASURES
        ],
    }


def compute_live(scope: Scope, first: dt.date, last: dt.date) -> dict:
    """The status funnel, the backlog by age and (staff) the top districts by open reports and the map of
    open reports, counted from the reports now (three to five queries)."""
    return {**compute_scope_live(scope), **compute_funnel(scope, first, last)}


def filed_in(scope: Scope, first: dt.date, last: dt.date):
    """The scope's reports filed in days `first`..`last`, by status: (status, n) rows. An agency subtree's
    are read from report_agency_created alone (agency, created_at; with the status, the Rahasia flag and the
    district), so the count follows the period's reports of the scope, not every report it ever held. Rows
    are counted, not ids (COUNT(*)): the id is not in the index, and COUNT(id) read each report's row from
    the table (at 2,000,000 reports, one heap page per report of the period)."""
    start, _end = day_bounds(first)
    _start, end = day_bounds(last)
    in_period = reports_for(scope).filter(created_at__gte=start, created_at__lt=end)
    return in_period.values_list("status").annotate(n=Count("*")).order_by()


def compute_funnel(scope: Scope, first: dt.date, last: dt.date) -> dict:
    """The reports filed in the period, by their status now (one grouped query)."""
    funnel_counts = dict(filed_in(scope, first, last))
    return {
        "funnel": [{"status": s.value, "label": str(s.label), "count": funnel_counts.get(s.value, 0)} for s in Status]
    }


def compute_scope_live(scope: Scope) -> dict:
    """What the scope's open reports show whatever the period: the backlog by age and, for staff, the
    districts with the most open reports and the map's newest open reports (one query each)."""
    open_reports = reports_for(scope).filter(status__in=OPEN_STATUSES)
    now = dt.datetime.now(dt.UTC)
    backlog_counts = open_reports.aggregate(
        **{
            f"b{i}": Count(
                "pk",
                filter=Q(created_at__lte=now - dt.timedelta(days=lo))
                & (Q(created_at__gt=now - dt.timedelta(days=hi)) if hi else Q()),
            )
            for i, (_label, lo, hi) in enumerate(BACKLOG_BUCKETS)
        }
    )
    return {
        "live_at": now,
        # Staff: the districts with the most open reports in the scope (Kemendagri names), one grouped query.
        "top_districts": [] if scope.public else places.top_districts(open_reports),
        # Staff: the same open reports on the map (the newest STAFF_MAP_LIMIT with a pin).
        "map_points": [] if scope.public else places.staff_map_points(open_reports),
        "backlog": [
            {"label": label, "lo": lo, "hi": hi, "count": backlog_counts[f"b{i}"] or 0}
            for i, (label, lo, hi) in enumerate(BACKLOG_BUCKETS)
        ],
    }


def _by_child(scope: Scope, stats, per_agency: list[dict] | None) -> list[dict]:
    """The scope's direct children (the top-level agencies for the whole country), ranked by score.
    `per_agency`: the day rows summed per agency (a subtree's; cut_sums)."""
    prefix_len = (len(scope.agency.path) if scope.agency else 0) + 8
    rows, agencies = _branch_sums(scope, stats, prefix_len, per_agency)
    result = []
    for r in rows:
        agency = agencies.get(r["branch"]) if r["branch"] and len(r["branch"]) == prefix_len else None
        if agency is not None:
            label = agency.name
        elif r["branch"]:
            label = _("%(name)s (langsung)") % {"name": scope.agency.name}
        else:
            label = _("Admin Nasional (belum didisposisikan)")
        # "held": None for a child agency's subtree; "self" for the scope's own desk; "national" for
        # reports no agency held yet (the national admins' verification queue).
        held = None if agency is not None else ("self" if r["branch"] else "national")
        result.append(
            {
                "key": agency.pk if agency else None,
                "code": agency.code if agency else "",
                "label": label,
                "held": held,
                **_row(r),
            }
        )
    # Ties (the same score and received) by name: the order of the summed rows is the database's, any order.
    result.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), -r["received"], r["label"], r["code"]))
    for rank, r in enumerate(result, 1):
        r["rank"] = rank if r["score"] is not None else None
    return result


def _branch_sums(scope: Scope, stats, prefix_len: int, per_agency: list[dict] | None) -> tuple[list[dict], dict]:
    """The counters summed per branch (an agency path's first `prefix_len` characters; None: no agency), and
    the branches' agencies by path. A subtree's day rows are summed per agency, without a join to the
    agencies (at 2,000,000 reports the join ran once per day row, and its plan now and then hashed every
    agency), and each agency's branch is read from the subtree's agencies; the whole country's (thousands of
    agencies) are summed by the path's prefix in the database."""
    if scope.agency is not None:
        subtree = list(Agency.objects.filter(in_subtrees([scope.agency])))
        branch_of = {a.pk: a.path[:prefix_len] for a in subtree}
        if all(r["agency"] in branch_of for r in per_agency):  # else an agency moved meanwhile: by path below
            summed = {}
            for r in per_agency:
                branch = branch_of[r["agency"]]
                into = summed.setdefault(branch, {"branch": branch, **dict.fromkeys(COUNTERS, 0)})
                for name in COUNTERS:
                    into[name] += r[name] or 0
            return list(summed.values()), {a.path: a for a in subtree if len(a.path) == prefix_len}
    rows = list(
        stats.annotate(branch=Substr("agency__path", 1, prefix_len)).values("branch").annotate(**_sums()).order_by()
    )
    return rows, {a.path: a for a in Agency.objects.filter(path__in=[r["branch"] for r in rows if r["branch"]])}


def _trend(per_day: list[dict], first: dt.date, last: dt.date) -> dict:
    """Weekly (periods up to 120 days) or monthly buckets of the main flows (`per_day`: the day rows summed
    per day; cut_sums)."""
    weekly = (last - first).days <= 120
    series = {"received": {}, "completed": {}, "followed_up": {}}
    for r in _by_key(per_day, "date"):
        day = r["date"]
        bucket = day - dt.timedelta(days=day.weekday()) if weekly else day.replace(day=1)
        for k in series:
            series[k][bucket] = series[k].get(bucket, 0) + (r[k] or 0)
    buckets = []
    day = first - dt.timedelta(days=first.weekday()) if weekly else first.replace(day=1)
    while day <= last:
        buckets.append(day)
        day = day + dt.timedelta(days=7) if weekly else (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return {
        "weekly": weekly,
        "rows": [{"bucket": b, **{k: series[k].get(b, 0) for k in series}} for b in buckets],
    }


def cached_figures(scope: Scope, first: dt.date, last: dt.date) -> dict:
    if settings.LAPOR_STATS_REBUILD_ON_READ:
        rebuild_stale_recent()  # a rebuild bumps the generation: the key below is then a new one
    period = f"{get_language()}:{scope.key}:{first.isoformat()}:{last.isoformat()}"
    key = f"dashboards:{generation()}:{period}"
    figures = cache.get(key)
    if figures is None:
        figures = compute(scope, first, last)
        cache.set(key, figures, CACHE_SECONDS)
    # The live counts: kept under the version of the reports the scope's agencies hold
    # (complaints/holders.py), counted again after a change to one of them, not to any report anywhere.
    if scope.agency is None:
        holders_version = holders.version([holders.ALL])
    else:
        holders_version = holders.version(
            Agency.objects.filter(in_subtrees([scope.agency])).values_list("pk", flat=True)
        )
    live_key = f"dashboards:live:{holders_version}:{get_language()}:{scope.key}"
    live = cache.get_many([live_key, f"{live_key}:{first.isoformat()}:{last.isoformat()}"])
    scope_live = live.get(live_key)
    if scope_live is None:
        scope_live = compute_scope_live(scope)
        cache.set(live_key, scope_live, LIVE_CACHE_SECONDS)
    funnel = live.get(f"{live_key}:{first.isoformat()}:{last.isoformat()}")
    if funnel is None:
        funnel = compute_funnel(scope, first, last)
        cache.set(f"{live_key}:{first.isoformat()}:{last.isoformat()}", funnel, LIVE_CACHE_SECONDS)
    return {**figures, **scope_live, **funnel}
