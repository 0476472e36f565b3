"""Issue #15: the citizen's pages cheap and flat in N — the submission's query budget, the status
counters behind the national queue, the reference data kept in memory, compression and caching headers."""

import gzip
import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import status_counts, workflow
from complaints.models import (
    TRACKING_ALPHABET,
    TRACKING_LENGTH,
    Category,
    ClockLimit,
    CloseReason,
    Event,
    Notification,
    Report,
    ReportAgency,
    tracking_number_for,
)
from complaints.tests.portal import answered
from lapor import audit, ratelimit

URL = "/laporan/baru/"
# One submission in production: user, which routing candidate is active (the rules are kept in memory),
# the report's id drawn from its sequence, then in one query string (lapor/prepared.py
# writes_sent_with_the_next_statement) INSERT clock, INSERT report (with its tracking number and due time),
# status counter row, INSERT handling row and the recipients' read, then — last, because the audit chain
# stays locked from there to the commit — the chain's head locked, hashed and advanced by the statement
# that inserts the event (lapor/audit.py, PostgreSQL), INSERT notification = 6 (10 statements).
# Elsewhere the id comes from the INSERT (then an UPDATE sets the number and due time) and the head is
# read and written in two statements around the event's INSERT: 12. The session is read from the shared cache
# (lapor/sessions.py), and a channel account is known by its address, not looked up.
# Under pytest-django the submission's transaction is a SAVEPOINT + RELEASE inside the test's: 2 more.
SUBMIT_QUERIES = 6 if connection.vendor == "postgresql" else 12
TEST_TRANSACTION = 2


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "perf"}}
    cache.clear()


@pytest.fixture
def form_data(db):
    category = Category.objects.get(code="kesehatan-puskesmas")
    return {
        "classification": "complaint",
        "title": "Antrean puskesmas sangat lama",
        "body": "Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan.",
        "event_date": "2026-01-05",
        "province": "51",
        "regency": "51.03",
        "category": str(category.pk),
    }


def test_submission_stays_within_its_query_budget(client, citizen, form_data, django_assert_max_num_queries, settings):
    settings.SESSION_ENGINE = "lapor.sessions"  # production mode's sessions (a shared cache)
    client.force_login(citizen)
    client.get(URL)
    client.post(URL, {**form_data, "submission_key": "warm-up"})  # the caches of this worker are filled
    with django_assert_max_num_queries(SUBMIT_QUERIES + TEST_TRANSACTION):
        response = client.post(URL, {**form_data, "submission_key": "second"})
    assert response.status_code == 302
    report = Report.objects.get(
        title=form_data["title"], submission_key__isnull=False, pk=Report.objects.latest("pk").pk
    )
    # The same audit trail, clocks, handling row and outbox row as before.
    assert report.events.get().action == "submit" and report.events.get().chain_hash
    assert report.clocks.get().kind == "verification" and report.due_at == report.clocks.get().due_at
    assert ReportAgency.objects.filter(report=report).count() == 1
    assert Notification.objects.filter(report=report, user=citizen).count() == 1


def _statements(queries: list[dict]) -> list[str]:
    """Each statement of the logged queries: a query that carried writes sent with it holds several."""
    return [part for q in queries for part in re.split(r";\s*(?=/\* )", q["sql"])]


def _second_submission(client, citizen, form_data) -> list[dict]:
    """The statements of `citizen`'s second submission (the first fills this worker's caches)."""
    client.force_login(citizen)
    client.post(URL, {**form_data, "submission_key": "warm-up"})
    with CaptureQueriesContext(connection) as ctx:
        client.post(URL, {**form_data, "submission_key": "second"})
    return ctx.captured_queries


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the id is drawn from PostgreSQL's sequence")
def test_a_submission_writes_its_report_once_with_its_number_and_due_time(client, citizen, form_data):
    queries = _second_submission(client, citizen, form_data)
    report = Report.objects.latest("pk")
    statements = [q["sql"] for q in queries]
    assert not [sql for sql in statements if sql.startswith('UPDATE "complaints_report"')], statements
    # (logged as its statement's text, then the EXECUTE of the plan PostgreSQL keeps for it: lapor/prepared.py)
    insert = next(q for q in queries if 'INSERT INTO "complaints_report" (' in q["sql"])
    assert report.tracking_no == tracking_number_for(report.pk) and report.tracking_no in insert["sql"]
    assert report.due_at == report.clocks.get().due_at and report.events.get().chain_hash


def test_the_audit_chain_is_locked_last_in_the_submission(client, citizen, form_data):
    # The chain's lock is held from its first statement to the commit (a second submission waits on
    # it): after it come only the event and its notification rows, never a read.
    queries = _second_submission(client, citizen, form_data)
    statements = [" ".join(q["sql"].replace('"', "").split()) for q in queries]
    first = next(i for i, sql in enumerate(statements) if "complaints_auditchain" in sql)
    locked = [sql[:60] for sql in statements[first:] if "SAVEPOINT" not in sql]
    allowed = ("complaints_auditchain", "INSERT INTO complaints_event ", "INSERT INTO complaints_notification ")
    assert all(any(name in sql for name in allowed) for sql in locked), locked
    assert any("complaints_notification" in sql for sql in locked)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the event's INSERT advances the chain on PostgreSQL")
def test_the_submissions_event_is_inserted_by_the_statement_that_advances_the_chain(client, citizen, form_data):
    queries = _second_submission(client, citizen, form_data)
    chained = [q["sql"] for q in queries if "complaints_auditchain" in q["sql"]]
    assert len(chained) == 1 and 'INSERT INTO "complaints_event"' in chained[0], chained
    events = list(Event.objects.order_by("pk"))
    assert [e.action for e in events] == ["submit", "submit"]
    assert events[1].prev_hash == events[0].chain_hash
    assert events[1].chain_hash == audit.digest(events[1].prev_hash, audit.event_content(events[1]))
    result = audit.verify(audit.EVENT_CHAIN)
    assert result.ok and result.checked == 2, result.errors


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are kept by PostgreSQL")
def test_the_submissions_hottest_statements_are_planned_once_per_connection(client, citizen, form_data):
    # The user read with its facts, the staff to notify, the report's id and the chain's advance: each
    # PREPAREd on the connection's first submission, EXECUTEd after (lapor/prepared.py: execute).
    queries = _second_submission(client, citizen, form_data)
    kept = [" ".join(sql.split()) for sql in _statements(queries) if "*/ EXECUTE lapor_plan_" in sql]
    for statement in ('SELECT "accounts_user"', 'SELECT "agencies_membership"', "SELECT nextval(", "WITH advanced"):
        assert sum(sql.startswith("/* " + statement) for sql in kept) == 1, (statement, [sql[:60] for sql in kept])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the event's INSERT advances the chain on PostgreSQL")
def test_the_one_statement_advance_starts_a_chain_and_refuses_what_the_columns_refuse(make_report, national_admin):
    from django.db import DataError, transaction

    from complaints.models import AuditChain

    AuditChain.objects.all().delete()  # a chain without its row yet: made, then advanced
    report = make_report()
    first = report.events.get()
    assert first.prev_hash == "" and AuditChain.objects.get(name="event").last_id == first.pk
    # A value longer than its column fails, as the ORM's INSERT does (cast to text, never cut).
    with pytest.raises(DataError), transaction.atomic():
        Event.objects.create(report=report, actor=national_admin, action="x" * 25, to_status="submitted")
    workflow.verify(report, by=national_admin, complaint_kind="normative", note="Lengkap")
    assert audit.verify(audit.EVENT_CHAIN).ok and audit.verify(audit.EVENT_CHAIN).checked == 2


def test_the_database_hashes_the_chain_exactly_as_python_does(make_report, national_admin):
    # On PostgreSQL the head is hashed by the database (sha256 of the same UTF-8 text): non-ASCII
    # content, as Indonesian notes have, must give the hash `verify_audit` recomputes in Python.
    report = make_report()
    workflow.verify(report, by=national_admin, complaint_kind="normative", note="Lengkap — “jalan” di Kuta ✓ ü")
    events = list(Event.objects.filter(report=report).order_by("pk"))
    assert [e.action for e in events] == ["submit", "verify"]
    for event in events:
        assert event.chain_hash == audit.digest(event.prev_hash, audit.event_content(event))
    assert events[1].prev_hash == events[0].chain_hash
    result = audit.verify(audit.EVENT_CHAIN)
    assert result.ok and result.checked == 2, result.errors


def test_a_double_submission_returns_the_first_report(client, citizen, form_data):
    client.force_login(citizen)
    first = client.post(URL, {**form_data, "submission_key": "same"})
    again = client.post(URL, {**form_data, "submission_key": "same"})
    assert first["Location"] == again["Location"]
    assert Report.objects.count() == 1


def test_tracking_numbers_come_from_the_id_unique_and_unordered(make_report):
    numbers = {tracking_number_for(n) for n in range(1, 20001)}
    assert len(numbers) == 20000
    assert all(len(n) == TRACKING_LENGTH and set(n) <= set(TRACKING_ALPHABET) for n in numbers)
    assert tracking_number_for(1)[:4] != tracking_number_for(2)[:4]  # neighbours look unrelated
    report = make_report()
    assert report.tracking_no == tracking_number_for(report.pk)
    assert Report.objects.get(pk=report.pk).tracking_no == report.tracking_no


def test_a_submission_draws_no_random_tracking_number_to_replace(make_report, monkeypatch):
    # The report is made with its number (from the id on PostgreSQL, a provisional one elsewhere): the
    # field's random default (secrets, 8 draws) is not called only to be overwritten (issue #15).
    field = Report._meta.get_field("tracking_no")
    drawn = []
    monkeypatch.setattr(field, "_get_default", lambda: drawn.append(1) or "unused")  # what get_default() calls
    report = make_report()
    assert drawn == []
    assert Report.objects.get(pk=report.pk).tracking_no == tracking_number_for(report.pk)


def test_the_mail_is_rendered_by_the_delivery_task(
    make_report, citizen, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report()
    row = Notification.objects.get(report=report, user=citizen)
    assert report.tracking_no in row.subject  # shown on the site at once
    assert row.email_sent_at is not None and report.tracking_no in row.body  # written when mailed
    sent = [m for m in mail.outbox if m.to == [citizen.email]]
    assert len(sent) == 1 and sent[0].body == row.body and "Belum Terverifikasi" in sent[0].body


def _actual():
    counts = dict(Report.objects.filter(sandbox__isnull=True).order_by().values_list("status").annotate(n=Count("pk")))
    return {status: n for status, n in counts.items() if n}


def test_staff_scope_reads_the_handling_rows_of_the_subtree_through_the_index(make_report, tree, national_admin):
    mine = make_report(title="Di Badung")
    workflow.verify(mine, by=national_admin)
    workflow.dispatch(mine, by=national_admin, to_agency=tree["dinkes"])  # below Badung
    other = make_report(title="Di Sleman", suggested_agency=tree["sleman"])
    scoped = Report.objects.handled_by_subtrees([tree["badung"]])
    assert set(scoped.values_list("pk", flat=True)) == {mine.pk}
    assert set(Report.objects.handled_by_subtrees([tree["sleman"]]).values_list("pk", flat=True)) == {other.pk}
    if connection.vendor == "postgresql":
        # The subtree's ids first (one InitPlan), then the (agency, status, report) index: a join to the agencies
        # read the whole handling table (the in-progress queue's growth with N, issue #15).
        assert '"agency_id" = ANY(ARRAY(SELECT' in str(scoped.query)


def test_status_counters_follow_every_action(make_report, national_admin, agency_admin, tree, citizen):
    seen = []

    def check():
        assert status_counts.totals() == _actual()
        seen.append(dict(_actual()))

    report = make_report()
    check()
    other = make_report(title="Laporan kedua")
    workflow.hold(other, by=national_admin, note="Lengkapi lokasi")
    check()
    workflow.verify(report, by=national_admin)
    check()
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    check()
    workflow.respond(report, by=agency_admin, note="Sudah ditambal")
    check()
    workflow.accept(report, by=citizen, rating=5)
    check()
    workflow.reopen(report, by=citizen, reason="Lubangnya muncul lagi")
    check()
    workflow.archive(other, by=national_admin, reason=CloseReason.WITHDRAWN)
    check()
    third = make_report(title="Laporan ketiga")
    workflow.remove(third, by=national_admin, reason=CloseReason.SPAM)
    check()
    main = answered(make_report, national_admin, agency_admin, tree, title="Laporan keempat")
    check()
    duplicate = make_report(title="Laporan kelima, sama")
    workflow.verify(duplicate, by=national_admin)
    workflow.merge(duplicate, by=national_admin, into=main)
    check()
    workflow.unmerge(duplicate, by=national_admin)
    check()
    # A report saved without its status, or loaded without it, moves nothing.
    Report.objects.filter(pk=report.pk).only("title").get().save(update_fields=["title"])
    check()
    Report.objects.get(pk=third.pk).delete()
    check()
    assert len({tuple(sorted(s.items())) for s in seen}) > 6  # the counts did move


def test_status_counters_are_folded_and_rebuilt(make_report, national_admin, monkeypatch):
    monkeypatch.setattr(status_counts, "COMPACT_AT", 3)
    for i in range(3):
        workflow.verify(make_report(title=f"Laporan {i}"), by=national_admin)
    assert status_counts.totals() == _actual()  # more than COMPACT_AT rows: folded after this read
    from complaints.models import StatusCount

    assert StatusCount.objects.count() == 1  # every report verified: one status, one row
    assert status_counts.totals() == _actual()
    # A bulk write behind the workflow's back (a loader, a repair in SQL) is put right by the rebuild.
    Report.objects.update(status="completed")
    assert status_counts.totals() != _actual()
    call_command("rebuild_status_counts", stdout=io.StringIO())
    assert status_counts.totals() == _actual() == {"completed": 3}


def test_national_queue_counts_come_from_the_counters(
    client, make_report, national_admin, django_assert_max_num_queries
):
    for i in range(3):
        make_report(title=f"Laporan {i}")
    client.force_login(national_admin)
    url = reverse("admin:complaints_report_changelist")
    html = client.get(url, {"status__exact": "submitted"}).content.decode()
    assert "Belum Terverifikasi (3)" in html
    # The counters, not a COUNT over the reports: change the table behind their back and the tab keeps its figure.
    Report.objects.filter(pk=Report.objects.first().pk).update(status="completed")
    html = client.get(url, {"status__exact": "submitted"}).content.decode()
    assert "Belum Terverifikasi (3)" in html


def test_reference_data_in_memory_follows_a_change(make_report):
    first = make_report()
    assert first.clocks.get().limit_days != 9
    ClockLimit.objects.create(kind="verification", days=9)  # a national admin changes the limit
    second = make_report(title="Sesudah batas baru")
    assert second.clocks.get().limit_days == 9


def test_rate_limits_take_one_call_per_submission_and_stop_at_the_limit(db):
    checks = [("submit-user", 7, 2, 600), ("submit-ip", "10.0.0.1", 100, 3600)]
    assert ratelimit.take(checks) and ratelimit.take(checks)
    assert not ratelimit.take(checks)  # the account's limit: nothing more is counted
    assert cache.get("lapor:rl:submit-ip:10.0.0.1") == 2


@pytest.mark.parametrize("path", ["/", "/laporan/", URL])
def test_pages_are_compressed_and_small(client, make_report, national_admin, path):
    for i in range(25):
        workflow.verify(make_report(title=f"Jalan rusak nomor {i}"), by=national_admin)
    response = client.get(path, HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    assert len(response.content) < 30 * 1024
    assert b"</html>" in gzip.decompress(response.content)


ASSET = re.compile(rb'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


def cold_weight(client, path) -> tuple[int, list[str]]:
    """What a first visit transfers before images, compressed: the page, its stylesheets and scripts
    (static files compressed as nginx's gzip_static serves them, README "Production")."""
    response = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200, path
    total, assets = len(response.content), []
    for url in ASSET.findall(gzip.decompress(response.content)):
        name = url.decode().split("?")[0].removeprefix(django_settings.STATIC_URL)
        total += len(gzip.compress(Path(finders.find(name)).read_bytes(), 9))
        assets.append(name)
    return total, assets


def test_citizen_pages_weigh_under_30_kb_on_a_cold_cache(client, make_report, national_admin):
    report = make_report(title="Jalan rusak di depan pasar")
    workflow.verify(report, by=national_admin)
    for i in range(25):
        workflow.verify(make_report(title=f"Jalan rusak nomor {i}"), by=national_admin)
    for path in [URL, "/laporan/", f"/laporan/{report.tracking_no}/", "/laporan/lacak/"]:
        total, assets = cold_weight(client, path)
        assert "css/site.min.css" in assets, assets  # Bootstrap trimmed to what the pages use
        assert not any("bootstrap" in a for a in assets), assets  # nor its 80 KB script
        assert total < 30 * 1024, (path, total, assets)


def test_files_are_not_compressed_again(client):
    response = client.get("/favicon.ico", HTTP_ACCEPT_ENCODING="gzip")
    assert not response.has_header("Content-Encoding")


def test_cache_headers_only_on_anonymous_public_pages(client, citizen, make_report, national_admin):
    report = make_report()
    workflow.verify(report, by=national_admin)
    for path in ["/laporan/", f"/laporan/{report.tracking_no}/", "/laporan/lacak/"]:
        cache_control = client.get(path)["Cache-Control"]
        assert "private" in cache_control and "max-age=60" in cache_control, path
    # The form carries a one-time submission token; the home page embeds the form.
    for path in [URL, "/"]:
        assert "no-store" in client.get(path)["Cache-Control"], path
    client.force_login(citizen)
    for path in ["/laporan/", f"/laporan/{report.tracking_no}/", "/laporan/saya/"]:
        cache_control = client.get(path)["Cache-Control"]
        assert "no-store" in cache_control and "max-age=60" not in cache_control, path


def test_a_resubmission_does_not_count_against_the_limit(client, citizen, form_data, settings):
    settings.LAPOR_SUBMIT_RATE_USER = (2, 600)
    client.force_login(citizen)
    assert client.post(URL, {**form_data, "submission_key": "k0"}).status_code == 302
    assert client.post(URL, {**form_data, "submission_key": "k0"}).status_code == 302  # a double click
    assert client.post(URL, {**form_data, "submission_key": "k1"}).status_code == 302
    assert client.post(URL, {**form_data, "submission_key": "k2"}).status_code == 429
    assert Report.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
def test_postgres_submission_recipients_read_memberships_by_index(tree, agency_admin, national_admin):
    """The submission's recipients query (notifications._SUBMIT_STAFF: the agency's staff, the admins
    above it, every national admin) reads each arm through an index (membership_role for the
    national admins), never the whole memberships table: a missing index for any arm shows as a Seq
    Scan even with sequential scans priced out."""
    from agencies.models import path_ids
    from complaints.notifications import _SUBMIT_STAFF

    agency = tree["badung"]
    sql, params = _SUBMIT_STAFF.sql(
        agency=agency.pk, roles=["agency_admin", "liaison"], above=path_ids(agency.path)[:-1]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE agencies_membership")
        # A table this small would be read whole (or along its primary key, for the ORDER BY): those
        # are priced out, so what is left is the index reads the filter's arms can use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on agencies_membership" not in plan, plan
    assert "Bitmap Index Scan on membership_role" in plan, plan


def _deep_copied_report_form():
    """ReportForm as Django builds it: a subclass's base_fields are a plain dict, deep-copied per form."""
    from complaints.forms import ReportForm

    return type("DeepReportForm", (ReportForm,), {"__module__": __name__})


def test_the_report_form_copies_its_fields_lightly_each_form_its_own(db):
    from complaints.forms import LightlyCopiedFields, ReportForm

    assert isinstance(ReportForm.base_fields, LightlyCopiedFields)
    first, second = ReportForm(), ReportForm()
    for name, field in first.fields.items():
        other, declared = second.fields[name], ReportForm.base_fields[name]
        assert field is not other and field is not declared, name
        assert field.widget is not other.widget and field.widget is not declared.widget, name
        assert field.widget.attrs is not other.widget.attrs and field.widget.attrs is not declared.widget.attrs, name
        assert field.error_messages is not declared.error_messages and field.validators is not declared.validators
        if hasattr(declared, "queryset"):
            assert field.queryset is not declared.queryset and field.queryset is not other.queryset, name
    # What one form changes reaches neither another form nor the declared fields.
    first.fields["title"].widget.attrs["data-x"] = "1"
    first.fields["title"].error_messages["required"] = "x"
    first.fields["title"].validators.append(lambda value: None)
    fresh = ReportForm()
    assert "data-x" not in fresh.fields["title"].widget.attrs and "data-x" not in second.fields["title"].widget.attrs
    assert fresh.fields["title"].error_messages["required"] != "x"
    assert len(fresh.fields["title"].validators) == len(ReportForm.base_fields["title"].validators)
    assert "max" not in ReportForm.base_fields["event_date"].widget.attrs  # set per form, on its own copy


def test_the_lightly_copied_report_form_renders_and_validates_as_the_deep_copied_one(db, form_data):
    from complaints.forms import ReportForm

    deep = _deep_copied_report_form()
    assert type(deep.base_fields) is dict
    key = {"submission_key": "k" * 20}
    assert ReportForm(initial=key).as_div() == deep(initial=key).as_div()
    for data in (
        {**form_data, **key},
        {**form_data, **key, "title": "", "event_date": "kemarin", "regency": "99.99", "category": "0"},
        {**form_data, **key, "event_date": "05/01/2026", "agency_q": "dinas", "kecamatan": "51.03.01"},
    ):
        light_form, deep_form = ReportForm(data), deep(data)
        assert light_form.is_valid() == deep_form.is_valid()
        assert light_form.errors == deep_form.errors
        assert light_form.as_div() == deep_form.as_div()  # re-displayed with what was typed


def _field_state(fields) -> dict:
    """What a form may set on a field or its widget, for every declared field: to see that none changed."""
    state = {}
    for name, field in fields.items():
        widget = field.widget
        state[name] = (
            type(widget),
            dict(widget.attrs),
            repr(widget.__dict__.get("choices")),
            dict(field.error_messages),
            list(field.validators),
            sorted(vars(field)),
            sorted(vars(widget)),
        )
    return state


def test_a_checked_report_form_validates_as_the_report_form_and_shows_as_it(db, form_data):
    # The submission is checked by CheckedReportForm, whose fields are the declared ones, shared
    # (issue #15): the same results as ReportForm, and, shown, the same page.
    from complaints.forms import CheckedReportForm, ReportForm

    key = {"submission_key": "k" * 20}
    for data in (
        {**form_data, **key},
        {**form_data, **key, "title": "", "event_date": "kemarin", "regency": "99.99", "category": "0"},
        {**form_data, **key, "event_date": "2999-01-05", "agency_q": "dinas", "kecamatan": "51.03.01"},
        {**form_data, **key, "regency": "", "kecamatan": "51.71.01", "latitude": "-8.7"},
    ):
        checked, full = CheckedReportForm(data), ReportForm(data)
        assert checked.is_valid() == full.is_valid()
        assert checked.errors == full.errors
        assert checked.cleaned_data == full.cleaned_data
        shown = checked.shown()
        assert type(shown) is ReportForm and shown.errors is checked.errors
        assert shown.as_div() == full.as_div()  # re-displayed with what was typed, choices and errors


def test_checking_a_report_form_changes_none_of_its_shared_fields(db, form_data):
    # Shared fields carry no visitor's state: checking valid and refused submissions, showing them, and
    # the errors added after a check (a refused file, the rate limit) leave the declared fields as they were.
    from django import forms

    from complaints.forms import CheckedReportForm, ReportForm

    before = _field_state(ReportForm.base_fields)
    assert all(CheckedReportForm.base_fields[name] is f for name, f in ReportForm.base_fields.items())
    for data in (
        {**form_data, "submission_key": "k" * 20, "agency_q": "dinas"},
        {**form_data, "submission_key": "k" * 20, "title": "", "regency": "99.99", "kecamatan": "51.03.01"},
    ):
        form = CheckedReportForm(data)
        assert all(form.fields[name] is f for name, f in ReportForm.base_fields.items())  # shared, not copied
        form.is_valid()
        form.add_error(None, "refused")
        shown = form.shown()
        assert all(shown.fields[name] is not f for name, f in ReportForm.base_fields.items())
        shown.as_div()
    assert _field_state(ReportForm.base_fields) == before
    # As declared, whatever ran before this test: no form's display set-up reached them.
    declared = ReportForm.base_fields
    assert "max" not in declared["event_date"].widget.attrs
    assert "data-found-label" not in declared["agency"].widget.attrs
    for name in ("province", "regency", "category"):
        assert type(declared[name].widget) is forms.Select and not list(declared[name].widget.choices), name


def test_a_refused_submission_is_shown_with_its_choices_and_errors(client, citizen, form_data):
    # The view shows a refused CheckedReportForm through a ReportForm of its own: the selects' choices
    # are there (a shared field has none), with what was typed and the error.
    client.force_login(citizen)
    response = client.post(URL, {**form_data, "submission_key": "refused", "title": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert type(response.context["report_form"]).__name__ == "ReportForm"
    assert 'value="51.03" selected' in page  # the regency typed, among its province's choices
    assert 'value="51"' in page and "— pilih kategori —" in page
    assert 'max="' in page  # the event date's upper bound, set per shown form
    assert response.context["report_form"].errors["title"]


def test_the_report_form_renders_and_validates_as_with_djangos_bound_fields_and_choice_check(db, form_data):
    # ReportForm keeps its help texts lazy until shown and checks a classification without building its
    # labels (issue #15): the same form, errors and page as Django's BoundField and ChoiceField give.
    from django import forms
    from django.forms.boundfield import BoundField
    from django.utils import translation

    from complaints.forms import ReportForm, classification_choices

    class DjangosOwn(ReportForm):
        bound_field_class = BoundField
        classification = forms.ChoiceField(
            label=ReportForm.base_fields["classification"].label,
            choices=classification_choices,
            widget=forms.RadioSelect,
            initial="complaint",
        )

    key = {"submission_key": "k" * 20}
    for language in ("id", "en"):
        with translation.override(language):
            for data in (
                {**form_data, **key},
                {**form_data, **key, "classification": "rumor"},
                {**form_data, **key, "classification": "", "title": ""},
            ):
                mine, theirs = ReportForm(data), DjangosOwn(data)
                assert mine.is_valid() == theirs.is_valid() == (data["classification"] == "complaint")
                assert mine.errors == theirs.errors
                assert mine.as_div() == theirs.as_div()
            assert ReportForm(initial=key).as_div() == DjangosOwn(initial=key).as_div()
            assert "help" in ReportForm(initial=key).as_div()  # help texts are shown, in the language


def test_the_event_date_reads_iso_first_and_the_language_formats_after(db, form_data):
    import datetime as dt

    from complaints.forms import ReportForm

    def cleaned(value):
        form = ReportForm({**form_data, "event_date": value, "submission_key": "k" * 20})
        return form.cleaned_data.get("event_date") if form.is_valid() else form.errors["event_date"]

    assert cleaned("2026-01-05") == dt.date(2026, 1, 5)
    assert cleaned(" 2026-01-05 ") == dt.date(2026, 1, 5)
    assert cleaned("05/01/2026") == dt.date(2026, 1, 5)  # the Indonesian day-first format still works
    assert cleaned("2026-13-05") == ["Masukkan tanggal yang valid."]
    assert cleaned("05-01-2026") == dt.date(2026, 1, 5)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE/EXECUTE is PostgreSQL's")
def test_every_statement_of_a_submission_runs_a_plan_kept_on_the_connection(client, citizen, form_data):
    # Parsing and planning were a large part of a small statement's database CPU (lapor/prepared.py): the
    # user, the active routing candidates, the id, the five INSERTs, the recipients and the audit chain
    # all run as EXECUTE of a statement prepared once per connection.
    queries = _second_submission(client, citizen, form_data)
    sent = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(sent) == SUBMIT_QUERIES
    statements = _statements([{"sql": sql} for sql in sent])
    assert len(statements) == 10
    planned = [sql for sql in statements if not re.match(r"/\*.*\*/ EXECUTE lapor_plan_\d+", sql, re.S)]
    assert planned == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="writes sent with the next statement: PostgreSQL")
def test_a_submissions_writes_travel_with_the_recipients_read(client, citizen, form_data):
    # The clock, report, status count and handling rows return nothing anybody reads: they go to the
    # server in front of the read of the staff to notify, one round trip for the five statements.
    queries = _second_submission(client, citizen, form_data)
    [carrier] = [q["sql"] for q in queries if 'INSERT INTO "complaints_report" (' in q["sql"]]
    order = ["complaints_clock", "complaints_report", "complaints_statuscount", "complaints_reportagency"]
    parts = _statements([{"sql": carrier}])
    assert [next(t for t in order if f'INSERT INTO "{t}"' in part) for part in parts[:4]] == order
    assert parts[4].startswith('/* SELECT "agencies_membership"')
    report = Report.objects.latest("pk")
    assert report.clocks.get().due_at == report.due_at
    assert ReportAgency.objects.get(report=report).agency_id == report.agency_id


def test_a_submission_writes_the_holders_versions_once(
    client, citizen, form_data, monkeypatch, django_capture_on_commit_callbacks
):
    # The dashboards' live counts are kept under the versions of the reports each agency holds
    # (complaints/holders.py): a new report moves them once, when its transaction commits.
    from agencies.models import path_ids
    from complaints import holders

    client.force_login(citizen)
    client.post(URL, {**form_data, "submission_key": "warm-up"})
    written = []
    monkeypatch.setattr(holders, "_bump", written.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**form_data, "submission_key": "second"})
    assert response.status_code == 302
    report = Report.objects.latest("pk")
    # With the suggested agency's handling row: it and the agencies above it (their queues, queue_cache.py).
    assert report.suggested_agency_id is not None
    assert written == [{None, report.agency_id, *path_ids(report.suggested_agency.path)}]
