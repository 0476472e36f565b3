"""Full-text search on PostgreSQL uses the GIN expression index of migration 0002."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import filters
from complaints.models import Report, Status
from complaints.tests.portal import crowd, published
from lapor.prepared import NO_PARALLEL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]


RECENT_SPAN = filters.recent_span


@pytest.fixture(autouse=True)
def _no_kept_estimates(search_plans_chosen_by_tests):
    """Tests choose the plan by RARE_MATCHES (test_an_unknown_word_is_never_walked: the unknown words' rule)
    and give a common term's span themselves (test_a_common_terms_newest_matches_…): conftest."""


def test_search_finds_words_in_title_or_body(client, make_report, national_admin):
    published(make_report, national_admin, title="Sampah menumpuk", body="Di pasar Kuta belum diangkut.")
    published(make_report, national_admin, title="Jalan rusak", body="Aspal mengelupas dekat sekolah.")
    titles = [r.title for r in client.get(reverse("complaints:list"), {"q": "pasar kuta"}).context["page"]]
    assert titles == ["Sampah menumpuk"]
    # websearch syntax: quoted phrases and -exclusions do not break the query
    titles = [r.title for r in client.get(reverse("complaints:list"), {"q": '"jalan rusak" -sampah'}).context["page"]]
    assert titles == ["Jalan rusak"]


def _page_statement(client, params):
    """The search page's one statement reading reports (the plan's estimate is an EXPLAIN)."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("complaints:list"), params).status_code == 200
    # the page's statement as sent, after what plans it without parallel workers (lapor.prepared)
    statements = [
        q["sql"].rpartition(f"{NO_PARALLEL}; ")[2] for q in ctx.captured_queries if "complaints_report" in q["sql"]
    ]
    assert len([s for s in statements if not s.startswith("EXPLAIN")]) == 1, statements
    return next(s for s in statements if not s.startswith("EXPLAIN"))


def _plan(sql):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    return plan


def test_a_rare_term_is_fetched_through_the_gin_index_and_sorted(client, make_report, national_admin, monkeypatch):
    monkeypatch.setattr(filters, "RARE_MATCHES", 10**9)
    published(make_report, national_admin, title="Jalan rusak")
    sql = _page_statement(client, {"q": "jalan"})
    # the feed's order in a form no index gives: the matches are fetched and sorted, never an index
    # walked in date order running to_tsvector on every row it reads
    assert "NULLS LAST" in sql
    assert "Sort Key: u0.created_at DESC NULLS LAST, u0.id DESC" in _plan(sql)


def test_a_common_term_tests_the_words_as_substrings_before_to_tsvector(
    client, make_report, national_admin, monkeypatch
):
    monkeypatch.setattr(filters, "RARE_MATCHES", -1)
    published(make_report, national_admin, title="Jalan rusak")
    sql = _page_statement(client, {"q": "Jalan RUSAK"})
    assert "NULLS LAST" not in sql
    assert "STRPOS(LOWER(" in sql and "'jalan'" in sql and "'rusak'" in sql
    # PostgreSQL tests the cheaper condition first (ordered by cost): strpos before to_tsvector
    walk = next(line for line in _plan(sql).splitlines() if "strpos" in line)
    assert walk.index("strpos") < walk.index("to_tsvector")


def test_only_two_characters_beyond_ascii_lowercase_into_it(db):
    """The common term's substring test lowercases as ASCII ("C" collation) and lets a row holding İ or K
    through for a word holding i or k: sound only if no other character lowercases, in this database's
    locale, into an ASCII letter or digit (to_tsvector lowercases as lower() does)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c FROM generate_series(128, 1114111) c"
            " WHERE (c < 55296 OR c > 57343) AND ascii(lower(chr(c))) < 128 ORDER BY c"
        )
        found = {chr(c) for (c,) in cursor.fetchall()}
    assert found == set(filters.LOWERED_INTO_ASCII.values())
    for letter, char in filters.LOWERED_INTO_ASCII.items():
        assert _lowered(char) == letter


def _lowered(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT lower(%s)", [text])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("rare_limit", [10**9, -1])  # fetched through the GIN index and sorted / the dated walk
def test_a_word_is_found_through_a_character_that_lowercases_into_it(
    client, make_report, national_admin, citizen, monkeypatch, rare_limit
):
    """ "\u212aOTA" (a Kelvin sign) and "\u0130NDAH" are the words kota and indah to to_tsvector, which
    lowercases per the locale; the walk's substring test, lowercasing as ASCII, must let them through."""
    monkeypatch.setattr(filters, "RARE_MATCHES", rare_limit)
    published(make_report, national_admin, title="Taman \u212aOTA kotor", body="Sampah di mana-mana.")
    published(make_report, national_admin, title="Taman", body="Dulu \u0130NDAH, kini rusak.")
    published(make_report, national_admin, title="Taman kota indah", body="Terawat.")
    client.force_login(citizen)  # every page rendered
    for term, titles in [
        ("kota", ["Taman kota indah", "Taman \u212aOTA kotor"]),
        ("indah", ["Taman kota indah", "Taman"]),
        ("taman indah", ["Taman kota indah", "Taman"]),
        ("kotor kota", ["Taman \u212aOTA kotor"]),
        ("rusak indah", ["Taman"]),
    ]:
        for params in ({"q": term}, {"q": term, "status": "verified"}):  # the plain path, the filter set's
            page = client.get(reverse("complaints:list"), params).context["page"]
            assert [r.title for r in page] == titles, params
    if rare_limit == -1:
        sql = _page_statement(client, {"q": "taman kota"})
        assert sql.count('COLLATE "C"') == 4  # each word in the title and the body, lowercased as ASCII
        assert "'\u212a'" in sql and "'\u0130'" not in sql  # kota holds a k, taman neither i nor k


@pytest.mark.parametrize(
    "text, words",
    [
        ("jalan", ["jalan"]),
        ("Jalan  RUSAK 2024", ["jalan", "2024", "rusak"]),  # rusak (a k) last
        ('"jalan rusak"', []),  # a phrase: websearch's own operators
        ("jalan -rusak", []),
        ("jalan or sampah", []),
        ("e-ktp", []),
        ("jalan.", []),
        ("jálan", []),
        ("\u212aota", []),  # the Kelvin sign: Python lowercases it to "k", PostgreSQL per its locale
        ("kita jalan", ["jalan", "kita"]),  # the words needing no fallback first
    ],
)
def test_only_plain_ascii_words_are_tested_as_substrings(text, words):
    assert filters._plain_words(text) == words


@pytest.mark.parametrize("rare_limit", [100, 1])  # rare words: GIN ids, common words: the dated walk
def test_rare_and_common_words_give_the_same_newest_first_results(
    client, make_report, national_admin, monkeypatch, rare_limit
):
    monkeypatch.setattr(filters, "RARE_MATCHES", rare_limit)
    for title in ("Jalan rusak satu", "Sampah", "Jalan rusak dua", "Jalan rusak tiga"):
        published(make_report, national_admin, title=title)
    titles = [r.title for r in client.get(reverse("complaints:list"), {"q": "jalan"}).context["page"]]
    assert titles == ["Jalan rusak tiga", "Jalan rusak dua", "Jalan rusak satu"]


TERMS = [
    "jalan",
    "JALAN rusak",
    "rusak jalan",
    "jalanan",
    "lampu 2024",
    "kota",
    '"jalan rusak"',
    "jalan -sampah",
    "jalan or sampah",
    "e-ktp",
    "sampah.",
    "tidakada",
]


@pytest.fixture
def corpus(make_report, national_admin):
    """Reports whose words sit in the title, the body, inside longer words, in other cases and after
    hyphens; some Rahasia, Anonim, unverified, removed, closed; dates out of id order, some equal."""
    import datetime as dt
    import random

    from django.utils import timezone

    texts = [
        ("Jalan rusak di Kuta", "Aspal mengelupas."),
        ("Lampu padam", "Jalan gelap sejak 2024, rusak parah."),
        ("Jalanan berdebu", "Truk lewat setiap hari."),
        ("Sampah menumpuk", "Di pinggir jalan dekat pasar."),
        ("Layanan E-KTP lambat", "Antre e-ktp tiga jam di Jalan Sudirman."),
        ("KOTA kotor", "sampah. di mana-mana, JALAN kotor"),
        ("Lampu jalan 2024", "Rusak sejak Januari."),
        ("Pelayanan puskesmas", "Tidak ada dokter jaga."),
    ]
    rng = random.Random(15)
    base = timezone.now() - dt.timedelta(days=30)
    reports = []
    for i in range(48):
        title, body = texts[i % len(texts)]
        if i % 8 == 7:
            report = make_report(title=title, body=body)  # never verified: not public
        else:
            report = published(make_report, national_admin, title=title, body=body, is_anonymous=i % 5 == 0)
        reports.append(report)
    for i, report in enumerate(reports):
        changes = {"created_at": base + dt.timedelta(hours=rng.randrange(12))}  # many equal: the id decides
        if i % 9 == 4:
            changes["is_confidential"] = True  # Rahasia
        if i % 11 == 3:
            changes["status"] = Status.REMOVED
        elif i % 6 == 1:
            changes["status"] = Status.COMPLETED
        Report.objects.filter(pk=report.pk).update(**changes)
    return reports


def _definition(term, params):
    """What a search means, written out: the public reports, the other filters, the full-text match
    (websearch syntax, 'simple' configuration), newest first."""
    from django.contrib.postgres.search import SearchQuery

    qs = Report.objects.public()
    if "status" in params:
        qs = qs.filter(status=params["status"])
    if "klasifikasi" in params:
        qs = qs.filter(classification=params["klasifikasi"])
    query = SearchQuery(term, config="simple", search_type="websearch")
    return list(qs.alias(search=filters.search_vector()).filter(search=query).order_by("-created_at", "-pk"))


@pytest.mark.parametrize("rare_limit", [10**9, -1])  # every term fetched and sorted / every term by the walk
@pytest.mark.parametrize("params", [{}, {"status": "completed"}, {"klasifikasi": "complaint", "status": "verified"}])
def test_search_pages_equal_the_definition(client, corpus, monkeypatch, rare_limit, params):
    monkeypatch.setattr(filters, "RARE_MATCHES", rare_limit)
    assert not any(r.is_confidential for r in Report.objects.public())
    for term in TERMS:
        expected = _definition(term, params)
        got = []
        for number in (1, 2):
            page = client.get(reverse("complaints:list"), {"q": term, "page": number, **params}).context["page"]
            got += [r.pk for r in page]
            assert page.has_next == (len(expected) > 25 * number)
        assert got == [r.pk for r in expected[:50]], term
    assert len(_definition("jalan", {})) > 25  # the second page was reached


BOUND_READ = "LIMIT 1 OFFSET"  # recent_hour's read of the public feed's index
BOUNDED = "'UTC') >= "  # the statement reading the newest reports' matches (_recent_matches)


def _searched_pages(client, term, pages=(1, 2)):
    """The ids of the search's pages for `term`, and how many of them the newest reports answered (their
    one statement bounded by the filing hour) without the walk after it."""
    ids, answered = [], 0
    for number in pages:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("complaints:list"), {"q": term, "page": number}).context["page"]
        ids.append([r.pk for r in page])
        statements = [q["sql"] for q in ctx.captured_queries if "complaints_report" in q["sql"]]
        statements = [sql for sql in statements if not sql.startswith("EXPLAIN") and BOUND_READ not in sql]
        bounded = [sql for sql in statements if BOUNDED in sql]
        assert len(statements) - len(bounded) <= 1 and len(bounded) <= 1, statements
        answered += len(statements) == len(bounded) == 1
    return ids, answered


def _answerable(expected, span, stop):
    """Whether the `span` newest public reports (not Rahasia, verified: the public feed's index) hold the first
    `stop` matches: those filed in or after the hour of the report `span` places after the newest."""
    bound = Report.objects.filter(is_confidential=False, verified_at__isnull=False).order_by("-created_at")
    bound = list(bound.values_list("created_at", flat=True)[span : span + 1])
    if not bound:
        return False
    hour = bound[0].astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return len([r for r in expected if r.created_at >= hour]) >= stop


@pytest.mark.parametrize("span", [1, 40, 60, 10**6])
def test_a_common_terms_newest_matches_are_read_among_the_newest_reports(
    client, corpus, make_report, national_admin, monkeypatch, span
):
    """A common term's page read among the `span` newest public reports (by the hour they were filed, in the
    order's own key: the corpus's dates are out of id order, many equal, some in one hour) when they hold
    it, else by the walk: the same pages as the definition either way."""
    import random

    rng = random.Random(12)
    dates = [r.created_at for r in Report.objects.filter(pk__in=[r.pk for r in corpus])]
    for i in range(30):  # "jalan" in 58 public reports of 64: a page's worth in some spans, not in others
        report = published(make_report, national_admin, title=f"Jalan baru {i}", is_anonymous=i % 3 == 0)
        filed = rng.choice(dates) + dt.timedelta(minutes=rng.randrange(-50, 50))
        Report.objects.filter(pk=report.pk).update(created_at=filed)
    monkeypatch.setattr(filters, "RARE_MATCHES", -1)
    monkeypatch.setattr(filters, "recent_span", lambda text, stop: span)
    answered = expected_answered = 0
    for term in TERMS:
        expected = _definition(term, {})
        pages, found = _searched_pages(client, term)
        assert pages == [[r.pk for r in expected[:25]], [r.pk for r in expected[25:50]]], term
        answered += found
        expected_answered += _answerable(expected, span, 26) + _answerable(expected, span, 51)
    assert answered == expected_answered
    assert (answered > 0) == (span in (40, 60))  # the bound read some pages, and left others to the walk


@pytest.mark.parametrize(
    "matches, stop, span",
    [
        (8_660, 26, 11_585),  # "jalan rusak" at 2,000,000 reports: 9,007 wanted, √2 steps up
        (204_093, 26, 512),  # "jalan": 382
        (204_093, 251, 4_096),  # its tenth page: 3,689
        (1_662_083, 26, 256),  # "di": SPAN_MIN
        (2_000, 26, 46_341),  # 39,000 wanted: 2 % of the table
        (2_000, 251, None),  # 376,500: over SPAN_MAX_SHARE, walked
    ],
)
def test_a_span_holds_a_page_by_the_planners_estimate(monkeypatch, matches, stop, span):
    """SPAN_MARGIN times the reports that hold `stop` matches by the estimate, up to a power of √2 (the bounds
    a worker keeps: a few per table), none beyond SPAN_MAX_SHARE of the table."""
    monkeypatch.setattr(filters, "estimated_reports", lambda: 2_000_000)
    monkeypatch.setattr(filters, "estimated_matches", lambda text, query: matches)
    assert RECENT_SPAN("jalan", stop) == span


def test_the_bound_is_kept_per_worker_for_a_while_and_only_widens(
    client, make_report, national_admin, citizen, monkeypatch
):
    """The hour a span begins in is read once a minute per worker and span (the public feed's index read for
    `span` entries): a kept one can only be older than the span's now, as reports are filed, so the page is
    the same as with a fresh one."""
    monkeypatch.setattr(filters, "RARE_MATCHES", -1)
    monkeypatch.setattr(filters, "recent_span", lambda text, stop: 40)
    client.force_login(citizen)  # every page rendered (none kept for anonymous visitors)
    old = timezone.now() - dt.timedelta(days=3)
    for i in range(45):
        report = published(make_report, national_admin, title=f"Jalan {i}")
        Report.objects.filter(pk=report.pk).update(created_at=old + dt.timedelta(hours=i))

    def bound_reads(term):
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("complaints:list"), {"q": term}).context["page"]
        assert [r.pk for r in page] == [r.pk for r in _definition(term, {})[:25]]
        return len([q for q in ctx.captured_queries if BOUND_READ in q["sql"]])

    assert bound_reads("jalan") == 1
    assert bound_reads("jalan") == 0  # kept
    for i in range(30):  # filed since: the kept bound holds them too
        published(make_report, national_admin, title=f"Jalan baru {i}")
    assert bound_reads("jalan") == 0
    monkeypatch.setattr(filters, "BOUND_SECONDS", 0)
    filters._bounds.clear()
    assert bound_reads("jalan") == 1
    assert bound_reads("jalan") == 1  # expired: read again


def _nodes(plan) -> dict[str, list]:
    """The nodes of a plan (EXPLAIN's JSON), by type."""
    nodes = {}

    def walk(node):
        nodes.setdefault(node["Node Type"], []).append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    return nodes


def test_the_newest_reports_are_read_through_the_dated_index(client, make_report, national_admin, monkeypatch):
    """The bounded statement's plan, chosen by PostgreSQL from real statistics (10,000 reports filed a minute
    apart, "jalan" in 10 %): the bound read from the public feed's index alone, the matches from the dated
    GIN index with the bound in its condition, sorted — so it reads the reports filed since the bound, not
    the table."""
    monkeypatch.setattr(filters, "RARE_MATCHES", -1)
    monkeypatch.setattr(filters, "recent_span", RECENT_SPAN)
    first = published(make_report, national_admin, title="Jalan rusak")
    crowd(first, 10_000)
    # 600 reports filed after them all, not yet verified, every one a match: in the newest hours the
    # search reads, and in no index it reads (report_search_public holds public reports only)
    crowd(
        first,
        600,
        tracking_no="'U' || lpad(g::text, 11, '0')",
        title="'Jalan rusak ' || g",
        created_at="created_at + interval '10001 minutes' + g * interval '1 second'",
        verified_at="NULL",
        status="'submitted'",
    )
    span = filters.recent_span("jalan", 26)
    assert 26 * 10 <= span <= 26 * 10 * 4  # a page's worth expected, by the planner's estimate

    plans = {}

    def explain(execute, sql, params, many, context):
        for kind in (BOUND_READ, BOUNDED):
            if kind in sql:
                explained = "EXPLAIN (ANALYZE, FORMAT JSON) " + sql.rpartition(f"{NO_PARALLEL}; ")[2]
                execute(explained, params, many, context)
                plans[kind] = _nodes(context["cursor"].fetchone()[0][0]["Plan"])
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(explain):
        page = client.get(reverse("complaints:list"), {"q": "jalan"}).context["page"]
    assert [r.pk for r in page] == [r.pk for r in _definition("jalan", {})[:25]]
    statements = [q["sql"] for q in ctx.captured_queries if "complaints_report" in q["sql"]]
    assert len([sql for sql in statements if "EXPLAIN" not in sql and BOUND_READ not in sql]) == 1  # no walk

    (bound,) = plans[BOUND_READ]["Index Only Scan"]
    assert bound["Index Name"] == "report_public_feed" and bound["Actual Rows"] == span + 1
    assert plans[BOUND_READ].keys() == {"Limit", "Index Only Scan"}
    (matches,) = plans[BOUNDED]["Bitmap Index Scan"]
    assert matches["Index Name"] == "report_search_public"
    condition = matches["Index Cond"]
    assert "date_trunc('hour'::text, (created_at AT TIME ZONE 'UTC'::text)) >= '" in condition
    assert "to_tsvector" in condition
    # the matches filed in the bound's hour or since (a report a minute), no others
    assert 26 <= matches["Actual Rows"] <= (span + 60) // 10 + 1
    assert "Seq Scan" not in plans[BOUNDED]


@pytest.mark.parametrize("rare_limit", [10**9, -1])
def test_search_page_has_no_n_plus_one(
    client, make_report, national_admin, citizen, monkeypatch, rare_limit, django_assert_max_num_queries
):
    monkeypatch.setattr(filters, "RARE_MATCHES", rare_limit)
    client.force_login(citizen)
    url = reverse("complaints:list") + "?q=jalan+rusak"
    published(make_report, national_admin, title="Jalan rusak", is_anonymous=True)
    client.get(url)  # a worker's first request reads the reference data
    # session, user, the plan's estimate, the page (ids chosen and cards read in one statement), badge
    with django_assert_max_num_queries(5) as first:
        assert len(client.get(url).context["page"]) == 1
    for i in range(6):
        published(make_report, national_admin, title=f"Jalan rusak {i}", is_anonymous=bool(i % 2))
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert len(client.get(url).context["page"]) == 7


def test_a_terms_estimate_is_kept_per_worker_for_a_while(client, make_report, national_admin, citizen, monkeypatch):
    client.force_login(citizen)  # every page rendered (none kept for anonymous visitors)
    published(make_report, national_admin, title="Jalan rusak", body="Sampah di pinggir jalan.")

    def estimates(params):
        with CaptureQueriesContext(connection) as ctx:
            assert len(client.get(reverse("complaints:list"), params).context["page"]) == 1
        return len([q for q in ctx.captured_queries if q["sql"].startswith("EXPLAIN")])

    assert estimates({"q": "jalan"}) == 1
    assert estimates({"q": "jalan", "status": "verified"}) == 0  # the same term, another filter or page
    assert estimates({"q": "sampah"}) == 1  # another term
    monkeypatch.setattr(filters, "ESTIMATES_KEPT", 2)
    assert estimates({"q": "rusak"}) == 1  # "jalan", the oldest, forgotten
    assert estimates({"q": "sampah"}) == 0
    assert estimates({"q": "jalan"}) == 1
    assert len(filters._estimates) == 2
    monkeypatch.setattr(filters, "ESTIMATE_SECONDS", 0)
    assert estimates({"q": "pinggir"}) == 1
    assert estimates({"q": "pinggir"}) == 1  # expired: estimated again


def test_an_unknown_word_is_never_walked(client, make_report, national_admin, monkeypatch):
    """The planner estimates any word missing from its statistics alike (a share of the table); such a
    term may hold no report at all, and walking the feed for it read the whole table (46 s at 2M)."""
    monkeypatch.undo()
    monkeypatch.setattr(filters, "RARE_MATCHES", -1)  # every term common by the fixed bound
    filters._estimates.clear()
    published(make_report, national_admin, title="Jalan rusak")
    assert "NULLS LAST" in _page_statement(client, {"q": "zzzqqq"})  # fetched through the index and sorted


@pytest.fixture
def reload_reference(django_db_blocker):
    yield
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)


@pytest.fixture
def parallel_everywhere():
    """This connection's planner choosing parallel workers for any table, however small (a test
    database's tables are too small for PostgreSQL to go parallel on its own)."""
    names = ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size")
    names += ("min_parallel_index_scan_size",)
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"SET {name} = 0")
    yield
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"RESET {name}")


def _setting(name):
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def _plan_of(sql, params=(), without_indexes=False):
    scans = ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan") if without_indexes else ()
    with connection.cursor() as cursor:
        for name in scans:
            cursor.execute(f"SET {name} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for name in scans:
            cursor.execute(f"RESET {name}")
    return plan


def _search_planned_without_parallel_workers(client, make_report, national_admin, citizen, monkeypatch, rare_limit):
    """At 2M reports PostgreSQL ran the common term's date walk as a Parallel Index Scan under a Gather
    Merge: its workers read ~101,000 rows for the 26 of a page (250–310 ms; serial 8 ms)."""
    monkeypatch.setattr(filters, "RARE_MATCHES", rare_limit)
    for i in range(3):
        published(make_report, national_admin, title=f"Jalan rusak {i}")
    feed_sql, feed_params = filters.search_reports(Report.objects.public(), "jalan").query.sql_with_params()
    # What this connection plans for the search's statement read from the table (through the GIN index its
    # plan follows the index's own statistics, which its pending list moves: migration 0038).
    assert "Gather" in _plan_of(feed_sql, feed_params, without_indexes=True)
    workers = _setting("max_parallel_workers_per_gather")
    assert int(workers) > 0
    client.force_login(citizen)
    client.get(reverse("complaints:list"), {"q": "jalan"})  # a worker's first request reads the reference data

    plans = []

    def explain_the_page(execute, sql, params, many, context):
        """The plan of the search page's statement, as the application sends it (its own wrapper runs inside
        this one), then the statement itself."""
        if "complaints_report" in sql and not sql.startswith("EXPLAIN"):
            execute("EXPLAIN " + sql, params, many, context)
            plans.append("\n".join(row[0] for row in context["cursor"].fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain_the_page):
        page = client.get(reverse("complaints:list"), {"q": "jalan"}).context["page"]
    assert [r.title for r in page] == ["Jalan rusak 2", "Jalan rusak 1", "Jalan rusak 0"]
    assert len(plans) == 1 and "complaints_report" in plans[0]
    assert "Gather" not in plans[0] and "Parallel" not in plans[0], plans[0]
    # Only that statement: the connection's next statements are planned as before.
    assert _setting("max_parallel_workers_per_gather") == workers
    assert "Gather" in _plan_of(feed_sql, feed_params, without_indexes=True)


@pytest.mark.parametrize("rare_limit", [10**9, -1])  # fetched through the GIN index and sorted / the dated walk
def test_the_search_is_planned_without_parallel_workers_and_nothing_else_is(
    client, make_report, national_admin, citizen, parallel_everywhere, monkeypatch, rare_limit
):
    assert not connection.get_autocommit()  # in the test's transaction
    _search_planned_without_parallel_workers(client, make_report, national_admin, citizen, monkeypatch, rare_limit)


@pytest.mark.parametrize("rare_limit", [10**9, -1])
def test_the_search_is_planned_without_parallel_workers_in_autocommit_too(
    reload_reference,
    transactional_db,
    client,
    make_report,
    national_admin,
    citizen,
    parallel_everywhere,
    monkeypatch,
    rare_limit,
):
    """A request's reads run in autocommit, as served."""
    assert connection.get_autocommit()
    _search_planned_without_parallel_workers(client, make_report, national_admin, citizen, monkeypatch, rare_limit)


@pytest.mark.parametrize("rare_limit", [10**9, -1])
def test_a_searched_card_shows_its_report_as_it_is_now(
    client, make_report, national_admin, citizen, monkeypatch, rare_limit
):
    """A search with nothing but its words reads its cards as rows (kept under them): a change to a report
    shows on the next search, and the other filters' path shows the same."""
    monkeypatch.setattr(filters, "RARE_MATCHES", rare_limit)
    client.force_login(citizen)
    first = published(make_report, national_admin, title="Jalan rusak di Kuta")
    published(make_report, national_admin, title="Jalan gelap")

    def cards(params):
        html = client.get(reverse("complaints:list"), params).content.decode()
        return html[html.index(first.tracking_no) - 2000 : html.index(first.tracking_no) + 2000]

    assert "Jalan rusak di Kuta" in cards({"q": "jalan"})
    Report.objects.filter(pk=first.pk).update(title="Jalan berlubang di Kuta", comment_count=7)
    for params in ({"q": "jalan"}, {"q": "jalan", "page": 1}, {"q": "jalan", "status": first.status}):
        shown = cards(params)
        assert "Jalan berlubang di Kuta" in shown and "Jalan rusak di Kuta" not in shown, params


def _phrase_corpus(make_report, national_admin):
    """Reports with both words of "jalan rusak" apart (the newest, many) and, filed earlier, a few with
    the phrase: the newest reports hold none of the phrase's matches."""
    base = timezone.now() - dt.timedelta(days=3)
    for i in range(40):
        report = published(make_report, national_admin, title=f"Jalan {i} sudah lama rusak", is_anonymous=i % 4 == 0)
        Report.objects.filter(pk=report.pk).update(created_at=base + dt.timedelta(hours=10 + i))
    for i in range(3):
        report = published(make_report, national_admin, title=f"Jalan rusak {i}")
        Report.objects.filter(pk=report.pk).update(created_at=base + dt.timedelta(minutes=i))


def _statements(client, params):
    """The search page's statements reading reports, as sent after their settings (lapor.prepared)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("complaints:list"), params)
    assert response.status_code == 200
    statements = [q["sql"].rpartition(f"{NO_PARALLEL}; ")[2] for q in ctx.captured_queries]
    statements = [s for s in statements if "complaints_report" in s and not s.startswith("EXPLAIN")]
    return response, [s for s in statements if BOUND_READ not in s]


@pytest.mark.parametrize("term", ['"jalan rusak"', '"Jalan Rusak" -sampah'])
def test_a_phrase_rarer_than_its_words_is_fetched_through_the_gin_index_not_walked(
    client, make_report, national_admin, monkeypatch, term
):
    """A term without plain words (a phrase) has no substring test: the walk ran to_tsvector on every report
    it read, and a phrase is estimated as its words together, far above its matches — `"jalan rusak"` read
    the whole table at 2M reports (55–77 s). When the newest reports hold too few of its matches, the
    matches are fetched through the GIN index (the candidates of its words, rechecked) and sorted."""
    _phrase_corpus(make_report, national_admin)
    monkeypatch.setattr(filters, "RARE_MATCHES", -1)  # common by the rule
    monkeypatch.setattr(filters, "recent_span", lambda text, stop: 20)
    monkeypatch.setattr(filters, "estimated_matches", lambda text, query: 43)  # its words' reports
    response, statements = _statements(client, {"q": term})
    assert [r.title for r in response.context["page"]] == ["Jalan rusak 2", "Jalan rusak 1", "Jalan rusak 0"]
    assert [r.pk for r in response.context["page"]] == [r.pk for r in _definition(term, {})]
    assert len(statements) == 2 and BOUNDED in statements[0], statements  # the newest reports, then the index
    assert "NULLS LAST" in statements[1] and BOUNDED not in statements[1]
    # the rare term's plan (test_a_rare_term_is_fetched_through_the_gin_index_and_sorted): the matches
    # fetched and sorted, in an order no index gives, never an index walked in date order
    assert "Sort Key: u0.created_at DESC NULLS LAST, u0.id DESC" in _plan(statements[1])


def test_a_phrase_as_common_as_the_walk_reads_is_walked(client, make_report, national_admin, monkeypatch):
    """The newest reports held fewer than a page of the phrase's matches, but its words are in far more reports
    than the walk would read at the density seen there: the walk stays (the same rows either way)."""
    _phrase_corpus(make_report, national_admin)
    monkeypatch.setattr(filters, "RARE_MATCHES", -1)
    monkeypatch.setattr(filters, "recent_span", lambda text, stop: 30)
    monkeypatch.setattr(filters, "estimated_matches", lambda text, query: 10**6)
    response, statements = _statements(client, {"q": '"jalan rusak"'})
    assert [r.pk for r in response.context["page"]] == [r.pk for r in _definition('"jalan rusak"', {})]
    assert len(statements) == 2 and BOUNDED in statements[0] and "NULLS LAST" not in statements[1], statements


def _slow_searches(execute, sql, params, many, context):
    """Every search statement made to sleep first (this wrapper runs outside the search's own, which puts
    its statement_timeout before it)."""
    if "complaints_report" in sql and "to_tsvector" in sql and not sql.startswith("EXPLAIN"):
        sql = f"SELECT pg_sleep(0.5); {sql}"
    return execute(sql, params, many, context)


TOO_LONG = "Pencarian ini memakan waktu terlalu lama."


def _search_times_out(client, settings, params):
    settings.LAPOR_SEARCH_TIMEOUT_MS = 50
    with connection.execute_wrapper(_slow_searches):
        response = client.get(reverse("complaints:list"), params)
    assert response.status_code == 200
    assert TOO_LONG in response.content.decode()
    assert response.context["page"].timed_out and not list(response.context["page"])
    # Without the forced sleep the same search gives its results, and nothing was kept of the other page.
    response = client.get(reverse("complaints:list"), params)
    assert TOO_LONG not in response.content.decode()
    assert [r.title for r in response.context["page"]] == ["Jalan rusak"]
    Report.objects.count()  # the connection (and the test's transaction) still usable


@pytest.mark.parametrize(
    "params", [{"q": "jalan"}, {"q": '"jalan rusak"', "page": 1}, {"q": "jalan", "status": "verified"}]
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_a_search_past_its_time_shows_a_message_never_an_error_nor_a_kept_page(
    client, make_report, national_admin, citizen, settings, params, signed_in
):
    published(make_report, national_admin, title="Jalan rusak")
    if signed_in:
        client.force_login(citizen)
    _search_times_out(client, settings, params)


def test_a_search_past_its_time_in_autocommit_too(
    reload_reference, transactional_db, client, make_report, national_admin, settings
):
    assert connection.get_autocommit()
    published(make_report, national_admin, title="Jalan rusak")
    _search_times_out(client, settings, {"q": '"jalan rusak"'})


@pytest.mark.parametrize(
    "params", [{"q": '"jalan rusak"', "page": 12}, {"q": "jalan", "status": "verified", "page": 3}]
)
def test_a_search_past_its_time_keeps_the_page_number_asked_for(client, make_report, national_admin, settings, params):
    published(make_report, national_admin, title="Jalan rusak")
    settings.LAPOR_SEARCH_TIMEOUT_MS = 50
    with connection.execute_wrapper(_slow_searches):
        response = client.get(reverse("complaints:list"), params)
    page = response.context["page"]
    assert page.timed_out and page.number == params["page"]
    html = response.content.decode()
    assert TOO_LONG in html and f"Halaman {params['page']}" in html
    assert f'page={params["page"] - 1}"' in html  # the pager leads back from the page asked for, not from 1


def test_the_message_is_translated():
    from django.utils import translation

    with translation.override("en"):
        assert translation.gettext(TOO_LONG + " Coba kata kunci yang lebih spesifik atau tanpa tanda kutip.") == (
            "This search took too long. Try more specific words, or no quotation marks."
        )


@pytest.mark.parametrize("term", ['"jalan rusak"', "jalan -sampah"])
def test_a_later_pages_phrase_is_fetched_through_the_gin_index_when_the_walk_would_read_more(
    client, make_report, national_admin, citizen, monkeypatch, term
):
    """Pages past SEARCH_PAGES_PREPARED have no sample of the newest reports: by the planner's estimates, the
    walk would read stop × reports ÷ matches reports, the index the estimate's candidates."""
    _phrase_corpus(make_report, national_admin)
    client.force_login(citizen)  # (the same page twice: not from the anonymous page cache)
    monkeypatch.setattr(filters, "RARE_MATCHES", -1)
    monkeypatch.setattr(filters, "SEARCH_PAGES_PREPARED", 0)  # every page is a later page
    monkeypatch.setattr(filters, "estimated_reports", lambda: 2_000_000)
    for matches, walked in [(2_000, False), (500_000, True)]:
        monkeypatch.setattr(filters, "estimated_matches", lambda text, query, matches=matches: matches)
        response, statements = _statements(client, {"q": term})
        assert [r.pk for r in response.context["page"]] == [r.pk for r in _definition(term, {})][:25]
        assert len(statements) == 1 and ("NULLS LAST" not in statements[0]) == walked, (matches, statements)


def test_the_search_index_keeps_its_pending_list_short(db):
    """Migration 0038: new reports wait in the GIN index's pending list, which every search reads whole:
    at most 256 kB of them (PostgreSQL's default, 4 MB, held ~6,000 reports and made a search cost 2.5
    times its database CPU)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'report_search_public'")
        (options,) = cursor.fetchone()
    assert "gin_pending_list_limit=256" in (options or [])


def test_a_terms_matches_are_estimated_from_every_reports_words(make_report, national_admin):
    """Migration 0039: the search index holds public reports only, and a partial index's expression gives
    the planner no statistics for the table; the statistics object on the search vector does, so a term's
    estimate — which chooses its plan — follows its matches (1,001 of 10,001 here; without it, the
    planner's fixed guess of 0.5 % of the table: 50)."""
    crowd(published(make_report, national_admin, title="Jalan rusak"), 10_000)
    filters._estimates.clear()
    assert 700 <= filters.estimated_matches("jalan", filters._search_query("jalan")) <= 1_400
    assert filters.estimated_matches("padam", filters._search_query("padam")) >= 7_000
