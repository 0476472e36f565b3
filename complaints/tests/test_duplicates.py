"""Likely duplicates (#16 items 1 and 2): for the citizen while writing (open public reports only, no
identities), "support instead of filing", and for the verifier (every report of the last 90 days in
the same regency and category that the staff member may see, Rahasia ones included for them)."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from agencies.models import Region
from complaints import duplicates, workflow
from complaints.models import Follow, Report, Support
from complaints.tests.portal import published

POTHOLE = {"title": "Jalan berlubang dekat pasar Mengwi", "body": "Lubang besar di jalan raya Mengwi dekat pasar."}


@pytest.fixture
def badung():
    return Region.objects.get(code="51.03")


def _similar(client, **params):
    return client.get(reverse("complaints:similar"), {"regency": "51.03", **POTHOLE, **params})


def test_citizen_sees_open_public_reports_about_the_same_problem(client, make_report, national_admin, tree):
    shown = published(make_report, national_admin, title="Lubang jalan raya Mengwi", body="Dekat pasar Mengwi.")
    published(make_report, national_admin, title="Antrean puskesmas panjang", body="Loket hanya satu.")  # unlike
    make_report(title="Jalan berlubang pasar Mengwi")  # not verified yet: not public
    published(make_report, national_admin, title="Jalan berlubang pasar Mengwi", is_confidential=True)  # Rahasia
    closed = published(make_report, national_admin, title="Jalan berlubang di pasar Mengwi")
    workflow.archive(closed, by=national_admin, reason="resolved_elsewhere")
    sleman = Region.objects.get(code="34.04")
    published(make_report, national_admin, title="Jalan berlubang pasar Mengwi", province=sleman.parent, regency=sleman)
    response = _similar(client)
    assert [r.pk for r in response.context["duplicates"]] == [shown.pk]
    page = response.content.decode()
    assert shown.title in page and "1 dukungan" not in page and "0 dukungan" in page
    assert "Masuk untuk mendukung" in page  # not logged in: no support button, a way to log in


def test_suggestions_are_recent_at_most_five_and_never_name_an_anonymous_reporter(
    client, make_report, national_admin, citizen
):
    old = published(make_report, national_admin, **POTHOLE)
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=91))
    for _ in range(6):
        published(make_report, national_admin, is_anonymous=True, **POTHOLE)
    found = _similar(client)
    assert len(found.context["duplicates"]) == 5 and old.pk not in {r.pk for r in found.context["duplicates"]}
    assert citizen.full_name not in found.content.decode()


def test_nothing_typed_or_no_regency_asks_nothing(client, make_report, national_admin, django_assert_num_queries):
    published(make_report, national_admin, **POTHOLE)
    with django_assert_num_queries(0):
        assert _similar(client, title="di ke", body="").context["duplicates"] == []
    assert _similar(client, regency="").context["duplicates"] == []


def test_similar_fragment_queries_do_not_grow_with_results(
    client, make_report, national_admin, django_assert_max_num_queries
):
    for _ in range(5):
        published(make_report, national_admin, district="Mengwi", **POTHOLE)
    with django_assert_max_num_queries(3):  # the regency, the ranked reports
        assert len(_similar(client).context["duplicates"]) == 5


def test_check_before_filing_without_javascript_keeps_what_was_typed(client, make_report, national_admin, citizen):
    shown = published(make_report, national_admin, **POTHOLE)
    client.force_login(citizen)
    before = Report.objects.count()
    data = {"check_duplicates": "1", "classification": "complaint", "province": "51", "regency": "51.03", **POTHOLE}
    response = client.post(reverse("complaints:submit"), data)
    page = response.content.decode()
    assert response.status_code == 200 and Report.objects.count() == before
    assert shown.tracking_no in page and 'name="follow"' in page
    assert response.context["report_form"].initial["title"] == POTHOLE["title"]


def test_check_with_no_similar_report_says_so(client, citizen):
    client.force_login(citizen)
    data = {"check_duplicates": "1", "province": "51", "regency": "51.03", **POTHOLE}
    assert 'id="no-duplicates"' in client.post(reverse("complaints:submit"), data).content.decode()


def test_support_instead_of_filing_supports_and_follows(client, make_report, national_admin, other_citizen):
    shown = published(make_report, national_admin, **POTHOLE)
    client.force_login(other_citizen)
    response = client.post(reverse("complaints:support", args=[shown.tracking_no]), {"follow": "1"}, follow=True)
    assert "kabar perkembangan" in response.content.decode()
    assert Support.objects.filter(report=shown, user=other_citizen).exists()
    assert Follow.objects.filter(report=shown, user=other_citizen, via=Follow.Via.SUPPORT).exists()
    # A plain support does not follow.
    other = published(make_report, national_admin, title="Antrean puskesmas", body="Loket hanya satu.")
    client.post(reverse("complaints:support", args=[other.tracking_no]))
    assert not Follow.objects.filter(report=other).exists()


# --- The verifier's list ---


def test_verifier_sees_likely_duplicates_in_scope_confidential_included(
    make_report, national_admin, agency_admin, tree
):
    report = make_report(**POTHOLE)
    secret = make_report(is_confidential=True, **POTHOLE)  # addressed to Badung: its admin handles it
    unverified = make_report(title="Lubang jalan Mengwi", body="Pasar Mengwi.")
    elsewhere = make_report(suggested_agency=tree["bali"], **POTHOLE)  # Pemprov Bali's, not Badung's
    other_category = make_report(category=report.category.__class__.objects.exclude(pk=report.category_id)
                                 .filter(parent__isnull=False).first(), **POTHOLE)  # fmt: skip
    unlike = make_report(title="Antrean puskesmas", body="Loket hanya satu.")
    for_agency = {r.pk for r in duplicates.for_verifier(report, agency_admin)}
    assert {secret.pk, unverified.pk} <= for_agency
    assert not for_agency & {elsewhere.pk, other_category.pk, unlike.pk, report.pk}
    assert elsewhere.pk in {r.pk for r in duplicates.for_verifier(report, national_admin)}


def test_verifier_list_excludes_confidential_reports_outside_the_staff_scope(make_report, agency_admin, tree):
    report = make_report(**POTHOLE)
    secret_elsewhere = make_report(is_confidential=True, suggested_agency=tree["bali"], **POTHOLE)
    assert secret_elsewhere.pk not in {r.pk for r in duplicates.for_verifier(report, agency_admin)}


def test_verify_page_lists_them_with_a_merge_link_in_constant_queries(
    client, make_report, agency_admin, django_assert_max_num_queries
):
    report = make_report(**POTHOLE)
    client.force_login(agency_admin)
    url = reverse("admin:complaints_report_action", args=[report.pk, "verify"])
    make_report(**POTHOLE)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for _ in range(6):
        make_report(is_confidential=True, **POTHOLE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert len(page.context["likely_duplicates"]) == 7
    html = page.content.decode()
    assert 'id="likely-duplicates"' in html and "?ke=" in html
    merge = client.get(reverse("admin:complaints_report_action", args=[report.pk, "merge"]) + "?ke=ABCDEFGH")
    assert merge.context["form"].initial["into"] == "ABCDEFGH"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
def test_postgres_ranks_by_full_text_and_trigram_similarity(make_report, national_admin, badung):
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone()  # created by migration 0018
    close = published(make_report, national_admin, title="Jalan berlubang dekat pasar Mengwi", body="Lubang besar.")
    partial = published(make_report, national_admin, title="Pasar Mengwi kotor", body="Sampah di jalan pasar.")
    published(make_report, national_admin, title="Antrean puskesmas", body="Loket hanya satu.")
    found = duplicates.for_citizen(regency=badung, **POTHOLE)
    assert [r.pk for r in found] == [close.pk, partial.pk]
    assert found[0].dup_score > found[1].dup_score


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
def test_postgres_citizen_lookup_reads_the_partial_index_of_open_public_reports(make_report, national_admin, badung):
    """#16 item 8: the lookup's shortlist is a nearest-neighbour walk of report_citizen_duplicates_knn
    (migration 0025: a GiST trigram index of the open public reports' titles by regency), not a
    ranking of every report of the regency."""
    from django.test.utils import CaptureQueriesContext

    for n in range(3):
        published(make_report, national_admin, title=f"Jalan berlubang {n}", body="Lubang besar di jalan.")
    with CaptureQueriesContext(connection) as queries:
        assert duplicates.for_citizen(regency=badung, **POTHOLE)
    with connection.cursor() as cursor:
        # A table of three rows would be read whole, and whatever earlier tests left in the table's
        # statistics can make a bitmap scan plus a sort look as cheap: the question here is whether
        # the index serves the lookup's filter *and* its ordering, so the alternatives are priced out.
        cursor.execute("ANALYZE complaints_report")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + queries.captured_queries[-1]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using report_citizen_duplicates_knn" in plan, plan
    assert "Order By: ((title)::text <-> " in plan, plan


# --- #16 item 8: the citizen's lookup as one cheap query, ranked exactly as before ---

LOOKALIKES = [
    ("Jalan berlubang dekat pasar Mengwi", "Lubang besar di jalan raya Mengwi dekat pasar."),
    ("Jalan berlubang dekat pasar Mengwi", "Lubang besar di jalan raya Mengwi dekat pasar."),  # a tie
    ("Jalan berlubang dekat pasar Mengwi", "Lubang besar di jalan raya Mengwi dekat pasar."),  # a tie
    ("Lubang jalan raya Mengwi", "Dekat pasar, pengendara motor jatuh."),
    ("Pasar Mengwi kotor", "Sampah menumpuk di jalan pasar."),
    ("Sampah menumpuk di pasar", "Bau busuk, lalat di mana-mana."),
    ("Lampu jalan mati", "Jalan gelap di malam hari dekat pasar."),
    ("Antrean puskesmas panjang", "Loket hanya satu, pasien menunggu."),
    ("Jalan rusak parah di Mengwi", "Aspal mengelupas, lubang di mana-mana."),
]
TYPED = [
    POTHOLE,
    {"title": "Sampah pasar", "body": "Sampah menumpuk dan bau di pasar Mengwi."},
    {"title": "Lampu jalan", "body": ""},
    {"title": "", "body": "Lubang di jalan raya dekat pasar, pengendara jatuh."},
    {"title": "Puskesmas", "body": "Antrean panjang."},
]


@pytest.fixture
def lookalikes(make_report, national_admin, badung):
    made = [published(make_report, national_admin, title=t, body=b) for t, b in LOOKALIKES]
    # Two of the tied ones filed at the same moment: the newer id comes first.
    Report.objects.filter(pk__in=[made[1].pk, made[2].pk]).update(created_at=made[1].created_at)
    hidden = published(make_report, national_admin, title=LOOKALIKES[0][0], body=LOOKALIKES[0][1], is_confidential=True)
    old = published(make_report, national_admin, title=LOOKALIKES[0][0], body=LOOKALIKES[0][1])
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=91))
    return made, {hidden.pk, old.pk}


def test_citizen_lookup_ranks_exactly_as_the_orm_ranking_in_one_query(lookalikes, badung, django_assert_num_queries):
    """The lookup reads rows, not models, but ranks as the ORM's ranking of the same candidates
    (the verifier's _ranked: full-text rank + trigram similarity on PostgreSQL, the word shares on
    SQLite), ties by date and id included."""
    made, never = lookalikes
    now = timezone.now()
    compared = 0
    for typed in TYPED:
        reference = duplicates._ranked(
            duplicates._citizen_candidates(badung, now - duplicates.CITIZEN_WINDOW), **typed, limit=5
        )
        with django_assert_num_queries(1):
            found = duplicates.for_citizen(regency=badung, now=now, **typed)
        assert [(r.pk, round(r.dup_score, 6)) for r in found] == [(r.pk, round(r.dup_score, 6)) for r in reference]
        assert all(isinstance(r, duplicates.Similar) and r.regency == badung for r in found)
        assert not {r.pk for r in found} & never
        compared += len(found)
    assert compared >= 10
    pothole = duplicates.for_citizen(regency=badung, now=now, **POTHOLE)
    assert [r.pk for r in pothole[:3]] == [made[2].pk, made[1].pk, made[0].pk]
    by_code = duplicates.for_citizen(regency="51.03", now=now, **POTHOLE)  # the regency by its code
    assert by_code == pothole and by_code[0].regency.name == badung.name
    shown = by_code[0]
    assert (shown.tracking_no, shown.title, shown.status, shown.support_count) == (
        made[2].tracking_no, made[2].title, made[2].status, 0
    )  # fmt: skip


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
def test_postgres_citizen_lookup_builds_its_sql_once_per_process(lookalikes, badung, monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    first = duplicates.for_citizen(regency=badung, **POTHOLE)
    assert first

    def no_orm(*args, **kwargs):
        raise AssertionError("the citizen's lookup built its SQL again")

    monkeypatch.setattr(SQLCompiler, "as_sql", no_orm)
    for typed in TYPED:
        duplicates.for_citizen(regency=badung, **typed)
    assert [r.pk for r in duplicates.for_citizen(regency=badung, **POTHOLE)] == [r.pk for r in first]
