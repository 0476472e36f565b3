"""Reports that look like the same problem (#16): for the citizen while writing, for the verifier.

Both lookups read only one regency's recent reports, then rank that small set by how alike the words
are. The citizen's lookup finds its shortlist by a nearest-neighbour walk of a GiST trigram index of
the open public reports by regency (`report_citizen_duplicates_knn`, migration 0025); the verifier's
reads the (regency, created_at) index (`report_regency_recent`):

- PostgreSQL: full-text rank (ts_rank over the same 'simple' vector as the feed's search, any of the
  typed words) plus pg_trgm similarity of the titles (the extension is created by migration 0018);
- elsewhere (SQLite, the embedded mode): the share of the typed words found in title and body,
  scored in Python over the newest candidates.

`for_citizen` sees only open public reports (Report.objects.public(): never Rahasia, never
unverified) and returns what its suggestion shows (`Similar` rows, no reporter): one query whose SQL
the ORM builds once per process, no model instances (#16 item 8); `for_verifier` sees every report of
the last 90 days in the same regency and category that the staff member may see
(access.staff_reports: Rahasia reports only for staff handling them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, FloatField, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.models import Region

from .access import staff_reports
from .models import OPEN_STATUSES, Report, Status, reference_objects

CITIZEN_WINDOW = dt.timedelta(days=90)
VERIFIER_WINDOW = dt.timedelta(days=90)
CITIZEN_LIMIT = 5
VERIFIER_LIMIT = 10
# Below this score a report is not shown as a likely duplicate (tuned on the demo and scale seeds:
# one shared specific word scores about 0.15, a near-identical title over 0.5).
MIN_SCORE = 0.12
FALLBACK_CANDIDATES = 500  # SQLite: the newest candidates scored in Python
SHORTLIST = 40  # PostgreSQL: the candidates with the most similar titles, ranked in full
MAX_WORDS = 12

WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
# Words that say nothing about the problem (Indonesian function words and complaint boilerplate).
STOPWORDS = frozenset(
    [
        "yang",
        "dan",
        "di",
        "ke",
        "dari",
        "untuk",
        "dengan",
        "pada",
        "ini",
        "itu",
        "ada",
        "tidak",
        "sudah",
        "belum",
        "akan",
        "karena",
        "oleh",
        "atau",
        "juga",
        "saya",
        "kami",
        "kita",
        "mereka",
        "anda",
        "bapak",
        "ibu",
        "mohon",
        "tolong",
        "segera",
        "sangat",
        "sekali",
        "lagi",
        "masih",
        "hanya",
        "bisa",
        "dapat",
        "sejak",
        "sampai",
        "setiap",
        "telah",
        "bahwa",
        "agar",
        "supaya",
        "dalam",
        "para",
        "tersebut",
        "laporan",
        "lapor",
        "warga",
        "hari",
        "minggu",
        "bulan",
        "tahun",
        "the",
        "and",
        "for",
    ]
)


def words(text: str) -> list[str]:
    """The distinct telling words of `text`, lower-case, in order (at most MAX_WORDS)."""
    seen: list[str] = []
    for word in WORD.findall((text or "").lower()):
        if word not in STOPWORDS and word not in seen:
            seen.append(word)
    return seen[:MAX_WORDS]


@dataclass(frozen=True)
class Similar:
    """An open public report as the citizen's suggestion shows it (templates/complaints/_duplicates.html):
    read as a row, never built as a model instance. No reporter: nothing about who filed it."""

    pk: int
    tracking_no: str
    title: str
    body: str
    status: str
    district: str
    created_at: dt.datetime
    support_count: int
    dup_score: float
    regency: object  # the Region the lookup was asked for (all results lie in it)


# What the suggestion shows, in Similar's order (dup_score and regency added by the lookup).
SIMILAR_FIELDS = ("pk", "tracking_no", "title", "body", "status", "district", "created_at", "support_count")


def for_citizen(*, regency, title: str, body: str = "", now: dt.datetime | None = None) -> list[Similar]:
    """Up to five open public reports in `regency` (a Region or its code) from the last 90 days that
    look like `title`/`body`, best first. One query; the SQL is built once per process (#16 item 8)."""
    if regency is None:
        return []
    typed = words(f"{title} {body}")
    if not typed:
        return []
    code = getattr(regency, "pk", regency)
    if not isinstance(regency, Region):
        regency = reference_objects()["regions"].get(code)
    since = (now or timezone.now()) - CITIZEN_WINDOW
    if connection.vendor == "postgresql":
        text = (title or " ".join(typed))[:200]
        sql, params = _citizen_sql(regency=code, since=since, text=text, query=" | ".join(typed))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    else:
        rows = _citizen_plain(_citizen_candidates(code, since), typed)
    return [Similar(*row, regency=regency) for row in rows]


def _citizen_candidates(regency, since):
    """The reports a citizen may be shown: open public ones of one regency since `since`."""
    return Report.objects.public().filter(regency=regency, created_at__gte=since, status__in=OPEN_STATUSES)


# Stand-ins for each lookup's values in the citizen's query, which the ORM compiles once per process
# (Report.objects.public() stays the one definition of "public"; building the two-stage query took as
# long as running it, measured at 2M): each call puts its own values in their parameter slots.
_STAND_INS = {
    "regency": "\x1fregency\x1f",
    "text": "\x1ftext\x1f",
    "query": "\x1fquery\x1f",
    "since": dt.datetime(1901, 2, 3, 4, 5, 6, 7, tzinfo=dt.UTC),
}
_citizen_compiled: dict[str, tuple[str, tuple, tuple]] = {}


def _citizen_sql(**values) -> tuple[str, list]:
    """The citizen's ranked lookup on PostgreSQL (SQL, parameters) for `values` (regency, since, text, query)."""
    compiled = _citizen_compiled.get(connection.alias)
    if compiled is None:
        stand = _STAND_INS
        ranked = _postgres_ranking(_citizen_candidates(stand["regency"], stand["since"]), stand["text"], stand["query"])
        sql, params = ranked.values_list(*SIMILAR_FIELDS, "dup_score")[:CITIZEN_LIMIT].query.sql_with_params()
        slots = tuple(_slot(param) for param in params)
        if set(slots) - {None} != set(stand):
            raise RuntimeError(f"citizen duplicate lookup: stand-ins not found in its parameters {params!r}")
        compiled = _citizen_compiled[connection.alias] = (sql, tuple(params), slots)
    sql, params, slots = compiled
    return sql, [values[slot] if slot else param for param, slot in zip(params, slots, strict=True)]


def _slot(param) -> str | None:
    for name, stand_in in _STAND_INS.items():
        if type(param) is type(stand_in) and param == stand_in:
            return name
    if isinstance(param, str) and "\x1f" in param:  # a stand-in the ORM rewrote: its slot would be lost
        raise RuntimeError(f"citizen duplicate lookup: a stand-in was rewritten into {param!r}")
    return None


def _citizen_plain(candidates, typed: list[str]) -> list[tuple]:
    """The SQLite fallback's ranking (_ranked_plain's) over rows: (SIMILAR_FIELDS..., dup_score)."""
    wanted = set(typed)
    scored = []
    for row in candidates.order_by("-created_at", "-pk").values_list(*SIMILAR_FIELDS)[:FALLBACK_CANDIDATES]:
        score = _plain_score(wanted, row[2], row[3])
        if score >= MIN_SCORE:
            scored.append((*row, score))
    scored.sort(key=lambda r: (-r[-1], -r[6].timestamp(), -r[0]))
    return scored[:CITIZEN_LIMIT]


def for_verifier(report: Report, user, *, limit: int = VERIFIER_LIMIT) -> list[Report]:
    """Likely duplicates of `report` for the staff member verifying it: any status, the last 90 days
    before it, same regency and category, confidential ones only where `user` may see them."""
    candidates = (
        staff_reports(user)
        .filter(
            regency_id=report.regency_id,
            category_id=report.category_id,
            created_at__gte=report.created_at - VERIFIER_WINDOW,
            created_at__lte=report.created_at + VERIFIER_WINDOW,
        )
        .exclude(pk=report.pk)
        .exclude(status__in=[Status.REMOVED])
    )
    return _ranked(candidates.select_related("regency", "agency", "merged_into"), report.title, report.body, limit)


def _ranked(candidates, title: str, body: str, limit: int) -> list[Report]:
    typed = words(f"{title} {body}")
    if not typed:
        return []
    if connection.vendor == "postgresql":
        return _ranked_postgres(candidates, title, typed, limit)
    return _ranked_plain(candidates, typed, limit)


def _postgres_ranking(candidates, text: str, query: str):
    """`candidates` ranked by likeness to `text` (the typed title) and `query` (the typed words joined
    by " | "), best first, those scoring at least MIN_SCORE, each with its `dup_score`."""
    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramDistance, TrigramSimilarity

    from .filters import search_vector

    # Any of the words (each a plain lexeme: WORD admits letters only, so the raw query is safe).
    rank = SearchRank(search_vector(), SearchQuery(query, config="simple", search_type="raw"), normalization=Value(1))
    similarity = TrigramSimilarity("title", text)
    # Two stages: the SHORTLIST titles nearest to the typed one (for the citizen a nearest-neighbour
    # walk of the GiST trigram index report_citizen_duplicates_knn, migration 0025: one regency's
    # open public reports, stopped after SHORTLIST); only those pay for the full-text vector of title
    # and body.
    shortlist = candidates.annotate(title_distance=TrigramDistance("title", text)).order_by("title_distance")
    scored = Report.objects.filter(pk__in=shortlist.values("pk")[:SHORTLIST]).annotate(
        dup_score=Coalesce(rank, Value(0.0), output_field=FloatField())
        + Coalesce(similarity, Value(0.0), output_field=FloatField())
    )
    return scored.filter(dup_score__gte=MIN_SCORE).order_by(F("dup_score").desc(), "-created_at", "-pk")


def _ranked_postgres(candidates, title: str, typed: list[str], limit: int) -> list[Report]:
    text = (title or " ".join(typed))[:200]
    best = _postgres_ranking(candidates, text, " | ".join(typed)).select_related(*_related(candidates))
    return list(best[:limit])


def _related(qs) -> list[str]:
    related = qs.query.select_related
    return list(related) if isinstance(related, dict) else []


def _plain_score(wanted: set[str], title: str, body: str) -> float:
    """The SQLite fallback's score: the share of the typed words found in title and body, and how
    alike the title's words are."""
    title_words = set(words(title))
    found = set(words(f"{title} {body}"))
    overlap = len(wanted & found) / len(wanted)
    title_share = len(wanted & title_words) / max(1, len(title_words | wanted))
    return round(0.6 * overlap + 0.4 * title_share, 4)


def _ranked_plain(candidates, typed: list[str], limit: int) -> list[Report]:
    wanted = set(typed)
    scored = []
    for report in candidates.order_by("-created_at", "-pk")[:FALLBACK_CANDIDATES]:
        report.dup_score = _plain_score(wanted, report.title, report.body)
        if report.dup_score >= MIN_SCORE:
            scored.append(report)
    scored.sort(key=lambda r: (-r.dup_score, -r.created_at.timestamp(), -r.pk))
    return scored[:limit]


CLUSTER_LIMIT = 5


def largest_clusters(user, agency=None, *, limit: int = CLUSTER_LIMIT) -> list[Report]:
    """The open reports with the most duplicates merged into them (many reports about one problem),
    among the reports `user` may see, within `agency`'s subtree when given: for the head's dashboard.
    Each carries `cluster_size` (itself and its duplicates)."""
    mains = staff_reports(user).filter(
        status__in=OPEN_STATUSES, pk__in=Report.objects.filter(merged_into__isnull=False).values("merged_into")
    )
    if agency is not None:
        mains = mains.handled_by_subtrees([agency])
    # Each main's duplicates counted by a subquery on merged_into, not by a join grouped by every column of
    # the report and its regency and category: that GROUP BY took PostgreSQL 4.5 ms to plan on every view of
    # the dashboard (1.1 ms now; it runs in 0.05-0.2 ms either way). The dashboard shows the regency.
    duplicates = Report.objects.filter(merged_into=OuterRef("pk")).order_by().values("merged_into")
    counted = duplicates.annotate(n=Count("pk")).values("n")
    mains = mains.annotate(duplicate_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0))
    result = list(mains.select_related("regency").order_by("-duplicate_count", "-pk")[:limit])
    for report in result:
        report.cluster_size = report.duplicate_count + 1
    return result
