"""The public feed's filters and full-text search."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import math
import re
import time

import django_filters
from django import forms
from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import BooleanField, Case, DateTimeField, F, Func, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Collate, Lower, StrIndex
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual
from django.forms import ModelChoiceField
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, District, Region, in_subtrees
from lapor import refcache
from lapor.prepared import Prepared, without_parallel_workers

from . import fragments
from .models import Category, Classification, Report, Status, reference_objects
from .pagination import PeekPage, empty_page, peek_page, peek_page_by_ids
from .search_budget import SearchBudget
from .widgets import use_fast_selects

# The agencies offered in the feed's drop-down: the upper levels (a few hundred); any agency's
# reports (with its subtree) remain reachable through ?instansi=<code>, e.g. from a report page.
AGENCY_CHOICE_KINDS = [Agency.Kind.COORDINATOR, Agency.Kind.MINISTRY, Agency.Kind.PROVINCE, Agency.Kind.REGENCY]

ALL = _("Semua")
RARE_MATCHES = 5000
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled (statement_timeout)
SEARCH_CONFIG = "simple"  # PostgreSQL has no Indonesian stemmer; the GIN index uses the same config


def search_vector():
    from django.contrib.postgres.search import SearchVector

    # Must stay the expression of the dated GIN index over public reports (report_search_public,
    # migration 0039; before it report_search_dated of 0037, report_search of 0003) and of the statistics
    # object that gives the planner its words (report_search_words, 0039).
    return SearchVector("title", "body", config=SEARCH_CONFIG)


def _estimated_rows(qs) -> int:
    """The rows PostgreSQL's planner expects `qs` to return (EXPLAIN, nothing is executed)."""
    sql, params = qs.values("pk").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


ESTIMATES_KEPT = 1000  # terms whose estimate a worker keeps (the oldest forgotten first)
ESTIMATE_SECONDS = 600  # the planner's statistics change when (auto)ANALYZE runs, not per request
_estimates: dict[str, tuple[int, float]] = {}


def estimated_matches(text: str, query) -> int:
    """The planner's estimate of the reports matching `text` (all of them, public or not: the statistics
    object on the search vector, report_search_words, migration 0039), kept in this worker's memory for
    ESTIMATE_SECONDS: a term searched again — the next page, a filter added, the next visitor — is not
    estimated again. It chooses a plan, never a result."""
    now = time.monotonic()
    kept = _estimates.get(text)
    if kept is not None and kept[1] > now:
        return kept[0]
    estimate = _estimated_rows(Report.objects.alias(search=search_vector()).filter(search=query))
    _estimates.pop(text, None)
    while len(_estimates) >= ESTIMATES_KEPT:
        del _estimates[next(iter(_estimates))]
    _estimates[text] = (estimate, now + ESTIMATE_SECONDS)
    return estimate


UNKNOWN_WORD = "lapor0unknown0word"  # in no report: the planner's estimate for a word its statistics lack


def unknown_word_estimate() -> int:
    """What the planner estimates for any word its statistics do not list (a fixed share of the table,
    however few reports hold it: 10,011 at 2M reports). A term estimated at or below it may be that
    rare, so it is fetched through the index: walking the feed for a word no report holds read the
    whole table (46 s at 2M)."""
    from django.contrib.postgres.search import SearchQuery

    return estimated_matches(UNKNOWN_WORD, SearchQuery(UNKNOWN_WORD, config=SEARCH_CONFIG, search_type="websearch"))


FEED_ORDER = ("-created_at", "-pk")
# The feed's order, newest first, with created_at's NULLS LAST: the same order (created_at is never
# null), but one no index gives (the feed's index is created_at DESC, i.e. NULLS FIRST), so PostgreSQL
# cannot walk an index in date order testing every row and must fetch the matches and sort them.
MATCHES_SORTED = (F("created_at").desc(nulls_last=True), F("pk").desc())
PLAIN_WORD = re.compile(r"[a-z0-9]+")


# The characters outside ASCII that PostgreSQL's locale (C.UTF-8, glibc) lowercases to an ASCII letter
# or digit, each under the letter it becomes: the only two among every code point
# (test_search_postgres.test_only_two_characters_beyond_ascii_lowercase_into_it).
LOWERED_INTO_ASCII = {"i": "\u0130", "k": "\u212a"}  # İ (capital I with dot above), K (Kelvin sign)


def _plain_words(text: str) -> list[str]:
    """The words of `text` when it is only plain words (ASCII letters and digits): websearch_to_tsquery
    then asks for every one of them as a lexeme, and the 'simple' configuration's lexemes are lowercased
    pieces of the document, so each word is a substring of the lowercased document. Anything else —
    quotes, "-", "or", punctuation, other letters — gives [] (no such shortcut is taken). The words
    that need no fallback (`_fallbacks`) come first: the substring test tries them first."""
    if not text.isascii():  # lowercasing beyond ASCII is PostgreSQL's (its locale), not Python's
        return []
    words = text.lower().split()
    if not words or len(words) > 8 or any(w == "or" or not PLAIN_WORD.fullmatch(w) for w in words):
        return []
    return sorted(words, key=lambda word: bool(_fallback(word)))


def _fallback(word: str) -> str:
    """The characters beyond ASCII whose lowercase is a letter of `word` (LOWERED_INTO_ASCII)."""
    return "".join(char for letter, char in LOWERED_INTO_ASCII.items() if letter in word)


def _contains_words(words: list[str], body_words: list[str] | None = None, fallbacks: list[str] | None = None):
    """A cheap test every match passes: each word is in the title or body lowercased as ASCII (strpos:
    a microsecond a row, where to_tsvector of a report takes 30–70). In a CASE, so the planner neither
    counts it as narrowing (its estimate of the matches, hence its plan, stays the match's alone) nor can
    use it for an index; it is tested first (its cost is far below to_tsvector's), and to_tsvector runs
    only on the rows that pass it.

    Lowercased under the "C" collation (ASCII letters only; the locale's lowercasing, C.UTF-8, goes
    through wide characters: it took 60 % of the 2M walk's time). A match's word is ASCII, so it comes
    from ASCII letters, or from the two characters beyond ASCII that lowercase into it (İ → i, K → k): a
    word holding i or k also lets through a row that holds one of those (`fallbacks`: per word, the
    characters; from `words` unless given).

    `body_words`: the same words, given again for the body's test (a statement compiled once takes each
    value in one place, lapor/prepared.py); `fallbacks` is then given too (the words are stand-ins)."""
    if fallbacks is None:
        fallbacks = [_fallback(word) for word in words]
    found = Q()
    for word, body_word, fallback in zip(words, words if body_words is None else body_words, fallbacks, strict=True):
        test = Q(GreaterThan(StrIndex(Lower(Collate("title", "C")), Value(word)), 0)) | Q(
            GreaterThan(StrIndex(Lower(Collate("body", "C")), Value(body_word)), 0)
        )
        for char in fallback:
            test |= Q(GreaterThan(StrIndex("title", Value(char)), 0)) | Q(GreaterThan(StrIndex("body", Value(char)), 0))
        found &= test
    return Case(When(found, then=Value(True)), default=Value(False), output_field=BooleanField())


def _search_text(text) -> str:
    return (text or "").strip()[:200]


def _search_query(text: str):
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


def _search_plan(text: str) -> tuple[bool, list[str]]:
    """How the matches of `text` are found on PostgreSQL, chosen by how common its words are (the
    planner's estimate of the matches, from the statistics of the vector's words: EXPLAIN without
    running, its cost does not grow with the table; kept per worker for a while): (True, []) for a
    rare term (at most RARE_MATCHES), its matches fetched through the GIN index and sorted — the
    feed's order made unusable for an index walk, which PostgreSQL would otherwise choose for a few
    hundred matches, running to_tsvector on thousands of rows; (False, words) for a common one, the
    feed walked in date order, where matches are dense, each row read first tested for `words` (the
    term's plain words, or none) as substrings, so to_tsvector runs on (nearly) the matches only."""
    if estimated_matches(text, _search_query(text)) <= max(RARE_MATCHES, unknown_word_estimate()):
        return True, []
    return False, _plain_words(text)


def _searched(
    qs,
    text: str,
    rare: bool,
    words: list[str],
    body_words: list[str] | None = None,
    fallbacks: list[str] | None = None,
):
    """`qs` narrowed to the reports matching `text` by the plan `_search_plan` chose."""
    matching = qs.alias(search=search_vector()).filter(search=_search_query(text))
    if rare:
        return matching.order_by(*MATCHES_SORTED) if tuple(qs.query.order_by) == FEED_ORDER else matching
    if not words:
        return matching
    return matching.filter(_contains_words(words, body_words, fallbacks))


def search_reports(qs, text: str):
    """Reports whose title or body match `text`: full-text on PostgreSQL, substring elsewhere."""
    text = _search_text(text)
    if not text:
        return qs
    if connection.vendor == "postgresql":
        return _searched(qs, text, *_search_plan(text))
    q = Q()
    for word in text.split()[:8]:
        q &= Q(title__icontains=word) | Q(body__icontains=word)
    return qs.filter(q)


def _feed_cards():
    """The public feed's reports as their cards read them, newest first (views._feed)."""
    return Report.objects.public().for_cards().order_by(*FEED_ORDER)


def _cards_by_id(ids):
    return Report.objects.public().for_cards().filter(pk__in=ids).order_by(*FEED_ORDER)


_reports_estimate = [0, 0.0]  # the reports' estimate and until when it is kept


def estimated_reports() -> int:
    """The planner's estimate of the reports in the table (its statistics: EXPLAIN, nothing counted),
    kept in this worker's memory for ESTIMATE_SECONDS, as a term's estimate is."""
    now = time.monotonic()
    if _reports_estimate[1] <= now:
        _reports_estimate[:] = [_estimated_rows(Report.objects.all()), now + ESTIMATE_SECONDS]
    return _reports_estimate[0]


SPAN_MARGIN = 1.5  # the newest reports read for a page of a common term: this many times the span expected to hold it
SPAN_MIN = 256
SPAN_MAX_SHARE = 0.1  # a span over this share of the reports is not read (the term is walked as before)


def recent_span(text: str, stop: int) -> int | None:
    """How many of the newest public reports the first `stop` matches of the common term `text` are
    looked for among (`_recent_matches`): SPAN_MARGIN times what the planner's estimate of its matches
    says holds `stop` of them, rounded up to a power of √2 (the spans whose bound a worker keeps,
    `recent_hour`); None when that is a large share of the table (a term only a little more common
    than a rare one)."""
    reports = estimated_reports()
    span = max(SPAN_MIN, int(stop * SPAN_MARGIN * reports / max(estimated_matches(text, _search_query(text)), 1)))
    span = round(2 ** (math.ceil(2 * math.log2(span)) / 2))
    return None if span > SPAN_MAX_SHARE * reports else span


BOUND_SECONDS = 60
_bounds: dict[int, tuple[str | None, float]] = {}


def recent_hour(span: int) -> str | None:
    """The hour (UTC, as text) the public report `span` places after the newest was filed in: the public
    feed's index read alone, `span` entries (report_public_feed's condition and order); None when there
    are not that many. Kept in this worker's memory for BOUND_SECONDS: it bounds what a search reads,
    never what it finds (`_recent_matches`: any hour gives the same pages), and reports filed meanwhile
    only widen it."""
    now = time.monotonic()
    kept = _bounds.get(span)
    if kept is not None and kept[1] > now:
        return kept[0]
    public = Report.objects.filter(is_confidential=False, verified_at__isnull=False).order_by("-created_at")
    found = list(public.values_list("created_at", flat=True)[span : span + 1])
    hour = found[0].astimezone(dt.UTC).strftime("%Y-%m-%d %H:00:00") if found else None
    _bounds[span] = (hour, now + BOUND_SECONDS)
    return hour


# The hour a report was filed, in UTC (in created_at's order: a report filed in an earlier hour was filed
# earlier): the dated GIN index's first column (report_search_public, migration 0039).
FILED_HOUR = "date_trunc('hour', %(expressions)s AT TIME ZONE 'UTC')"


def _recent_matches(qs, text: str, hour: str):
    """`qs`'s reports matching `text` filed in or after `hour` (UTC), fetched through the dated GIN index
    (report_search_public, migration 0039: the public reports of those hours from its entries of the
    hours, the term's posting lists read only there; `qs` is public, whose conditions imply the index's)
    and sorted.

    Bounded by the filing time, the order's own key: every match left out was filed in an earlier hour
    than every match read, so when the bound holds a page's worth, those are the page's first matches,
    whatever the ids. NULLS LAST (MATCHES_SORTED) keeps PostgreSQL from walking the feed's index."""
    matching = qs.alias(search=search_vector()).filter(search=_search_query(text))
    filed = Func(F("created_at"), template=FILED_HOUR, output_field=DateTimeField())
    since = GreaterThanOrEqual(filed, RawSQL("%s::timestamp", (hour,), output_field=DateTimeField()))
    return matching.filter(since).order_by(*MATCHES_SORTED)


def search_page(data, report_filter, budget=None) -> PeekPage:
    """A page of the search's results for the query string `data` (one statement: the search's plan
    chooses the page's ids, the cards are read by id, pagination.peek_page_by_ids), run without
    parallel workers: the common term's date walk stops after a page, and PostgreSQL ran it at 2M
    reports as a Parallel Index Scan whose workers read ~101,000 rows for the 26 wanted (250–310 ms;
    serial 8 ms).

    A search with nothing but its words (and a page number), on PostgreSQL: the statement of each of
    its first pages compiled once per process and plan shape (`_plain_search_rows`), its cards read
    as rows (fragments.CardRows: a kept card needs no report made from its row), and the filter set
    (`report_filter`, built lazily) never built unless its form is drawn. Otherwise the filter set's
    queryset.

    `budget` (search_budget.SearchBudget, the visitor's): the search's time is measured and, if slow,
    charged to the visitor's address; before it leaves the cheap path (`_plain_search_rows`: a first
    page found among the newest reports, or a rare term's) — a later page, the filter set's path, a
    walk beyond the newest reports — the budget is checked: search_budget.OverBudget is raised, nothing
    more is run."""
    budget = budget or SearchBudget()
    text = _search_text(data.get("q"))
    timeout = settings.LAPOR_SEARCH_TIMEOUT_MS
    with budget.measured():
        try:
            # (A NUL is refused by the filter set's form, which then drops the search.)
            if connection.vendor == "postgresql" and set(data) <= {"q", "page"} and text and "\x00" not in text:
                rows_of = functools.partial(_plain_search_rows, text, *_search_plan(text), check=budget.check)
                with without_parallel_workers(statement_timeout_ms=timeout):
                    return peek_page(None, data.get("page"), rows_of=rows_of)
            budget.check()  # (before the filter set's search plans anything)
            found = report_filter.qs  # (the plan's estimate: planned only)
            with without_parallel_workers(statement_timeout_ms=timeout):
                return peek_page_by_ids(found, _cards_by_id, data.get("page"))
        except OperationalError as error:
            if getattr(error.__cause__, "pgcode", None) != QUERY_CANCELED:
                raise
            budget.timed_out(timeout)
            # The search ran past LAPOR_SEARCH_TIMEOUT_MS (PostgreSQL cancelled it): an empty page that
            # says so (views.report_list: shown with a message, never kept by the page cache), at the
            # page number asked for.
            return empty_page(data.get("page"), timed_out=True)


SEARCH_PAGES_PREPARED = 10
_search_pages: dict[tuple, Prepared] = {}
_recent_pages: dict[tuple, Prepared] = {}


def _walk_longer_than_index(text: str, stop: int, span: int, seen: int) -> bool:
    """Whether the walk of the feed for the first `stop` matches of `text` would test more reports than
    the term's GIN index holds candidates, at the density of `seen` matches among `span` reports. For a
    term without plain words — a phrase, a negation, "or", punctuation — the walk has no substring test
    to skip reports, and the planner's estimate may be far above its matches (a phrase is estimated as
    its words together: `"jalan rusak"` 8,660 at 2M reports, none matching): the walk then read the whole
    table running to_tsvector on every report (55–77 s). The walk tests `stop × span ÷ seen` reports
    (as if one match when none was seen), the index's bitmap about the estimate, each rechecked by the
    same to_tsvector. Chooses a plan only: both give the same rows in the same order."""
    walked = stop * span / max(seen, 1)
    return estimated_matches(text, _search_query(text)) < walked


def _no_check() -> None:
    pass


def _plain_search_rows(text: str, rare: bool, words: list[str], start: int, stop: int, check=_no_check):
    """The rows of the public reports matching `text` (by the plan `_search_plan` chose), newest first,
    from `start` to `stop`.

    `check()` (the visitor's budget, search_budget.SearchBudget.check: may raise OverBudget) is called
    before any statement off the cheap path: a later page (from SEARCH_PAGES_PREPARED on), and on a
    first page whatever follows a read of the newest reports that came up short of the page (or a walk
    with no such read) — a walk that may read the whole table (words that never meet), or a phrase's
    matches fetched through the index. A rare term's first pages (its few matches through the index)
    and a page found among the newest reports are never checked."""
    if start >= SEARCH_PAGES_PREPARED * (stop - start - 1):
        check()
        if not rare and not words:  # (no sample of the newest reports here: the planner's estimates)
            rare = _walk_longer_than_index(
                text, stop, estimated_reports(), estimated_matches(text, _search_query(text))
            )
        return list(_cards_by_id(_searched(_feed_cards(), text, rare, words).values("pk")[start:stop]))
    span = None if rare else recent_span(text, stop)
    hour = None if span is None else recent_hour(span)
    if hour is not None:
        # The newest matches, read among the newest reports; a page short of its rows there may be the
        # last or may go on in older reports: it is read again by the walk below.
        recent = _recent_pages.get((start, stop))
        if recent is None:
            recent = _recent_pages[start, stop] = Prepared(
                lambda text, hour: _cards_by_id(_recent_matches(_feed_cards(), text, hour).values("pk")[start:stop])
            )
        rows = recent.loaded(text=text, hour=hour)
        if len(rows.rows) == stop - start:
            return fragments.CardRows(rows)
        check()  # what follows is not bounded by the newest reports
        # (The newest `span` reports held `start` + the rows found of its matches; an empty page after
        # the first says only that they held up to `start`.)
        if not words and _walk_longer_than_index(text, stop, span, start + len(rows.rows)):
            rare = True
    elif not rare:
        check()  # a walk with no bound: it may read the whole table
    fallbacks = [_fallback(word) for word in words]
    key = (rare, start, stop, tuple(fallbacks))
    prepared = _search_pages.get(key)
    if prepared is None:
        # One statement per plan, page, number of words (lapor/prepared.py: the shape) and the words'
        # fallbacks; not planned once for all values (no keep_plan): the best plan depends on the term.
        prepared = _search_pages[key] = Prepared(
            lambda text, words, body_words: _cards_by_id(
                _searched(_feed_cards(), text, rare, words, body_words, fallbacks).values("pk")[start:stop]
            )
        )
    # Each word given twice: the title's test and the body's.
    return fragments.CardRows(prepared.loaded(text=text, words=words, body_words=list(words)))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def category_label(category) -> str:
    return f"{category.parent.label} › {category.label}" if category.parent_id else category.label


def category_ids(category) -> list[int]:
    """What a category filter means: the category and its children (ids from the reference data in
    memory, no join: a literal list lets the map's report_public_map_category index read one range
    per category)."""
    categories = reference_objects()["categories"].values()
    return sorted(c.pk for c in categories if category.pk in (c.pk, c.parent_id))


class CategoryField(ModelChoiceField):
    def label_from_instance(self, obj):
        return category_label(obj)


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryField


FILTER_OPTIONS_KEY = "lapor:feed-filter-options"


def filter_options() -> dict[str, list]:
    """The feed's select options (categories, provinces, regencies, the main agencies), read once
    per worker and reference-data generation rather than on every page of the public feed."""
    language = get_language()  # category names are in the visitor's language

    def build():
        fields = ReportFilter.base_filters
        # .all(): a fresh read each build (iterating the class-level querysets kept their first rows for
        # the worker's life, so a renamed category never reached the feed's select).
        return {
            "kategori": [(c.code, category_label(c)) for c in fields["kategori"].queryset.all()],
            "provinsi": [(r.pk, str(r)) for r in fields["provinsi"].queryset.all()],
            "kabupaten": [(r.pk, str(r)) for r in fields["kabupaten"].queryset.all()],
            "instansi": list(
                Agency.objects.active()
                .filter(kind__in=AGENCY_CHOICE_KINDS)
                .order_by("path")
                .values_list("path", "code", "name", "kind", "region_id")
            ),
        }

    # Kept in each worker's memory until the reference data change (lapor/refcache).
    return refcache.get(f"{FILTER_OPTIONS_KEY}:{language}", build)


def _with_all(options):
    return [("", ALL), *options]


def _choose_province_first(_options):
    return [("", _("Semua (pilih provinsi untuk memilih kabupaten/kota)"))]


def province_of(code: str, provinces) -> str:
    """The province code of a province or regency code ("51" or "51.03" → "51"); "" if unknown."""
    province = str(code).split(".")[0]
    return province if any(str(pk) == province for pk, _name in provinces) else ""


class FilterForm(forms.Form):
    """The filter set's form. Django deep-copies a form's declared fields for each form; here each
    field is copied the same way except the declared (value, label) list of a django-filter choice
    field, which nothing changes in place (a request that offers other choices assigns new ones) and
    which was most of the copying: the copies' widgets, attributes, error messages, validators,
    iterators and querysets are still each form's own."""

    def __init__(self, *args, **kwargs):
        declared = self.base_fields
        self.base_fields = {}  # BaseForm.__init__ deep-copies this
        try:
            super().__init__(*args, **kwargs)
        finally:
            del self.base_fields
        self.fields = {name: _field_copy(field) for name, field in declared.items()}
        self.order_fields(self.field_order)


def _field_copy(field):
    memo = {}
    listed = getattr(getattr(field, "_choices", None), "choices", None)  # django-filter's ChoiceIterator
    if isinstance(listed, list):
        memo[id(listed)] = listed
    return copy.deepcopy(field, memo)


def _bound_copy(declared, parent, model):
    """A filter of `parent` (a filter set): the declared filter's attributes, its own `extra`, and a
    `method` resolved on `parent` (django-filter's FilterMethod keeps the filter it was made for)."""
    bound = copy.copy(declared)
    bound.extra = dict(declared.extra)
    bound.model = model
    bound.parent = parent
    if declared.method is not None:
        bound.method = declared.method  # the setter makes a FilterMethod of `bound`
    return bound


class ReportFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Cari"), method="filter_q")
    klasifikasi = django_filters.ChoiceFilter(
        field_name="classification", label=_("Klasifikasi"), choices=Classification.choices, empty_label=ALL
    )
    kategori = CategoryFilter(
        label=_("Kategori"),
        empty_label=ALL,
        # Each parent followed by its children.
        queryset=Category.objects.filter(is_active=True)
        .select_related("parent")
        .order_by(Coalesce("parent__name", "name"), F("parent").asc(nulls_first=True), "name"),
        to_field_name="code",
        method="filter_category",
    )
    provinsi = django_filters.ModelChoiceFilter(
        field_name="province",
        label=_("Provinsi"),
        queryset=Region.objects.filter(level=Region.Level.PROVINCE),
        empty_label=ALL,
    )
    kabupaten = django_filters.ModelChoiceFilter(
        field_name="regency",
        label=_("Kabupaten/kota"),
        queryset=Region.objects.filter(level=Region.Level.REGENCY),
        empty_label=ALL,
    )
    kecamatan = django_filters.ModelChoiceFilter(
        field_name="kecamatan",
        label=_("Kecamatan"),
        queryset=District.objects.all(),
        empty_label=ALL,
    )
    instansi = django_filters.ModelChoiceFilter(
        label=_("Instansi"),
        queryset=Agency.objects.active(),
        to_field_name="code",
        method="filter_agency",
        empty_label=ALL,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=[(s.value, s.label) for s in Status if s != Status.REMOVED], empty_label=ALL
    )
    dari = django_filters.DateFilter(
        label=_("Dari tanggal"), method="filter_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    sampai = django_filters.DateFilter(
        label=_("Sampai tanggal"), method="filter_to", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Report
        fields = []
        form = FilterForm

    def __init__(self, data=None, queryset=None, *, display: bool = True, request=None, prefix=None):
        """`display=False` (the map's peta.json): the same filters, fields and validation, without the
        select options and widgets a page shows (the cached options of every select, the chosen
        regency's districts): a JSON answer renders no form.

        django-filter's own __init__ deep-copies every declared filter — its queryset, choices, lazy
        labels — and builds a form class from new fields on every request (≈ 15 % of the feed's CPU,
        issue #15). The declarations are never changed by a request, so each filter set gets a shallow
        copy of each filter bound to itself (its model, its parent, a method resolved on it), and the
        form class is built once per process (_form_class); each form still copies its fields, so the
        choices and widgets set below belong to this request alone."""
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: _bound_copy(f, self, queryset.model) for name, f in self.base_filters.items()}
        if display:
            self._offer_choices()

    @classmethod
    def _form_class(cls):
        """The form class of the declared filters' fields, once per process (and filter set class)."""
        form_class = cls.__dict__.get("_built_form_class")
        if form_class is None:
            fields = {name: f.field for name, f in cls.base_filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            cls._built_form_class = form_class
        return form_class

    def get_form_class(self):
        return self._form_class()

    def offering_choices(self) -> ReportFilter:
        """This filter set with the options its form shows (as display=True gives), set once: for a page
        that filtered its rows through it with display=False and then draws its form."""
        if not getattr(self, "_offered", False):
            self._offered = True
            self._offer_choices()
        return self

    def _offer_choices(self):
        # The options come from a cache (the querysets above only check a submitted value).
        options = filter_options()
        # Choices as callables: a list of thousands is not normalised on every request (the cached
        # options below are built from them once).
        data = self.form.data if self.form.is_bound else {}
        # The regencies and their governments follow the chosen province (or the chosen regency's):
        # all 514 of them and their governments in every page of the feed were two thirds of its
        # weight (issue #15: under 30 KB compressed). Choosing a province reloads the list.
        province = province_of(data.get("provinsi") or data.get("kabupaten") or "", options["provinsi"])
        regencies = [
            (code, name) for code, name in options["kabupaten"] if province and code.startswith(f"{province}.")
        ]
        for name in ("kategori", "provinsi"):
            self.form.fields[name].widget.choices = functools.partial(_with_all, options[name])
        self.form.fields["kabupaten"].widget.choices = functools.partial(
            _with_all if province else _choose_province_first, regencies
        )
        self.form.fields["provinsi"].widget.attrs["data-autosubmit"] = ""
        agencies = [
            a
            for a in options["instansi"]
            if a[3] != Agency.Kind.REGENCY or (province and a[4].startswith(f"{province}."))
        ]
        chosen = data.get("instansi")
        listed = bool(not chosen or chosen in {a[1] for a in agencies})
        if not listed:
            extra = Agency.objects.active().filter(code=chosen).values_list("path", "code", "name", "kind", "region_id")
            agencies = sorted([*agencies, *extra])
        self.form.fields["instansi"].widget.choices = functools.partial(_with_all, [(a[1], a[2]) for a in agencies])
        # Districts of the chosen regency (and the chosen district): never all 7,000 in one select.
        districts = []
        if data.get("kabupaten") or data.get("kecamatan"):
            districts = District.objects.filter(
                Q(regency_id=data.get("kabupaten") or "-") | Q(pk=data.get("kecamatan") or "-")
            ).order_by("name")
            districts = list(districts.values_list("code", "name"))
        self.form.fields["kecamatan"].widget.choices = [("", ALL), *districts]
        for f in self.form.fields.values():
            f.widget.attrs["class"] = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
        # The long selects' options are rendered once per language and reference-data generation
        # (the agency select only while it holds the usual list).
        language = get_language()
        cached = {name: f"feed-{name}:{language}" for name in ("kategori", "provinsi")}
        cached["kabupaten"] = f"feed-kabupaten:{province}:{language}"
        if listed:
            cached["instansi"] = f"feed-instansi:{province}:{language}"
        use_fast_selects(self.form, cached=cached)

    def filter_q(self, qs, name, value):
        return search_reports(qs, value)

    def filter_category(self, qs, name, value):
        return qs.filter(category_id__in=category_ids(value))

    def filter_agency(self, qs, name, value):
        # The agency and everything under it (materialized path prefix, one indexed range).
        return qs.filter(in_subtrees([value], "agency"))

    def filter_from(self, qs, name, value):
        return qs.filter(created_at__gte=_day_start(value))

    def filter_to(self, qs, name, value):
        return qs.filter(created_at__lt=_day_start(value + dt.timedelta(days=1)))
