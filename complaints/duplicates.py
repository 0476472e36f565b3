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
unverified) and returns what the public may see (no reporter); `for_verifier` sees every report of
the last 90 days in the same regency and category that the staff member may see
(access.staff_reports: Rahasia reports only for staff handling them).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.db.models import Count, F, FloatField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .access import staff_reports
from .models import OPEN_STATUSES, Report, Status

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


def for_citizen(*, regency, title: str, body: str = "", now: dt.datetime | None = None) -> list[Report]:
    """Up to five open public reports in `regency` from the last 90 days that look like `title`/`body`."""
    if regency is None:
        return []
    now = now or timezone.now()
    candidates = Report.objects.public().filter(
        regency=regency, created_at__gte=now - CITIZEN_WINDOW, status__in=OPEN_STATUSES
    )
    return _ranked(candidates.select_related("regency", "province"), title, body, CITIZEN_LIMIT)


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


def _ranked_postgres(candidates, title: str, typed: list[str], limit: int) -> list[Report]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramDistance, TrigramSimilarity

    from .filters import search_vector

    # Any of the words (each a plain lexeme: WORD admits letters only, so the raw query is safe).
    query = SearchQuery(" | ".join(typed), config="simple", search_type="raw")
    rank = SearchRank(search_vector(), query, normalization=Value(1))  # 1: divided by 1 + log(length)
    text = (title or " ".join(typed))[:200]
    similarity = TrigramSimilarity("title", text)
    # Two stages: the SHORTLIST titles nearest to the typed one (for the citizen a nearest-neighbour
    # walk of the GiST trigram index report_citizen_duplicates_knn, migration 0025: one regency's
    # open public reports, stopped after SHORTLIST); only those pay for the full-text vector of title
    # and body.
    shortlist = candidates.annotate(title_distance=TrigramDistance("title", text)).order_by("title_distance")
    candidates = Report.objects.filter(pk__in=shortlist.values("pk")[:SHORTLIST]).select_related(*_related(candidates))
    scored = candidates.annotate(
        dup_score=Coalesce(rank, Value(0.0), output_field=FloatField())
        + Coalesce(similarity, Value(0.0), output_field=FloatField())
    )
    best = scored.filter(dup_score__gte=MIN_SCORE).order_by(F("dup_score").desc(), "-created_at", "-pk")
    return list(best[:limit])


def _related(qs) -> list[str]:
    related = qs.query.select_related
    return list(related) if isinstance(related, dict) else []


def _ranked_plain(candidates, typed: list[str], limit: int) -> list[Report]:
    wanted = set(typed)
    scored = []
    for report in candidates.order_by("-created_at", "-pk")[:FALLBACK_CANDIDATES]:
        title_words = set(words(report.title))
        found = set(words(f"{report.title} {report.body}"))
        overlap = len(wanted & found) / len(wanted)
        title_share = len(wanted & title_words) / max(1, len(title_words | wanted))
        report.dup_score = round(0.6 * overlap + 0.4 * title_share, 4)
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
    mains = mains.annotate(duplicate_count=Count("duplicates")).select_related("regency", "category")
    result = list(mains.order_by("-duplicate_count", "-pk")[:limit])
    for report in result:
        report.cluster_size = report.duplicate_count + 1
    return result
