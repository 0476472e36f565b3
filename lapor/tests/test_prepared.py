"""lapor.prepared: a hot queryset's SQL built once per process and shape, the same rows as the ORM."""

import pytest
from django.db import connection, connections
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency
from lapor.prepared import Prepared, execute

pytestmark = pytest.mark.django_db


def test_same_rows_as_the_orm_and_the_sql_built_once_per_shape(tree):
    built = []

    def build(kind, ids):
        built.append((kind, tuple(ids)))
        return Agency.objects.filter(kind=kind, pk__in=ids).order_by("pk").values_list("pk", "code", "is_active")

    prepared = Prepared(build)
    agencies = list(Agency.objects.order_by("pk"))
    for kind, ids in [
        ("regency", [a.pk for a in agencies[:40]]),
        ("opd", [a.pk for a in agencies[:40]]),  # the same shape: not built again
        ("regency", [tree["badung"].pk]),
        ("province", []),
        ("province", [tree["bali"].pk, tree["diy"].pk, tree["badung"].pk]),
    ]:
        expected = list(
            Agency.objects.filter(kind=kind, pk__in=ids).order_by("pk").values_list("pk", "code", "is_active")
        )
        assert [(pk, code, bool(active)) for pk, code, active in prepared.rows(kind=kind, ids=ids)] == expected
    assert [len(ids) for _kind, ids in built] == [40, 1, 0, 3]


def test_a_stand_in_the_orm_rewrites_is_refused():
    # icontains wraps the value in %…%: its slot would be lost, so the statement is never used.
    prepared = Prepared(lambda name: Agency.objects.filter(name__icontains=name).values_list("pk"))
    with pytest.raises(RuntimeError, match="stand-ins not found"):
        prepared.rows(name="Badung")
    with pytest.raises(TypeError):
        Prepared(lambda when: Agency.objects.filter(pk=when)).sql(when=1.5)


# --- insert_rows -----------------------------------------------------------------------------------


def _columns(model, pk):
    return {k: v for k, v in model.objects.filter(pk=pk).values().get().items() if k != "id"}


def test_insert_rows_writes_what_the_orm_writes_and_gives_each_object_its_id(make_report, citizen):
    import datetime as dt

    from django.utils import timezone

    from complaints.models import Clock, Notification, Report
    from lapor.prepared import insert_rows

    report = make_report()
    event = report.events.get()
    now = timezone.now()
    rows = [
        Notification(
            user=citizen, report=report, event=event, kind="submit", subject=f"s{i}", url=f"/u{i}", created_at=now
        )
        for i in range(3)
    ]
    insert_rows(rows)
    orm = Notification.objects.bulk_create(
        [
            Notification(
                user=citizen, report=report, event=event, kind="submit", subject=f"s{i}", url=f"/u{i}", created_at=now
            )
            for i in range(3)
        ]
    )
    for mine, theirs in zip(rows, orm, strict=True):
        assert mine.pk is not None and not mine._state.adding and mine._state.db == "default"
        assert _columns(Notification, mine.pk) == _columns(Notification, theirs.pk)  # each row has its own id

    due = now + dt.timedelta(days=3)
    clock = Clock(report=report, kind="verification", agency=report.agency, limit_days=3, started_at=now, due_at=due)
    insert_rows([clock])
    twin = Clock.objects.create(
        report=report, kind="verification", agency=report.agency, limit_days=3, started_at=now, due_at=due
    )
    assert _columns(Clock, clock.pk) == _columns(Clock, twin.pk)

    # Report.save of a new report goes through insert_rows: auto_now (updated_at) is set as the ORM sets it.
    copy = Report.objects.get(pk=report.pk)
    copy.pk, copy.tracking_no, copy.submission_key, copy._state.adding = None, "COPY0001", None, True
    copy.updated_at = None
    copy.save(force_insert=True)
    written = Report.objects.get(pk=copy.pk)
    assert written.updated_at is not None and written.updated_at >= now
    assert written.title == report.title and written.status == report.status


def test_insert_rows_writes_a_plain_value_as_its_field_would_prepare_it(make_report, citizen):
    # A text, integer, boolean or integer foreign key value is written as it is, without its field's
    # pre_save and get_db_prep_save (lapor/prepared.py _plain_type): only where they would give it back.
    from django.db import connection
    from django.utils.translation import gettext_lazy

    from complaints.models import Clock, Notification, ReportAgency
    from lapor.prepared import _build_insert, insert_rows

    report = make_report()
    rows = [report, report.events.get(), Clock.objects.filter(report=report).first()]
    rows.append(ReportAgency.objects.filter(report=report).first())
    rows.append(Notification.objects.first() or Notification(user=citizen, report=report, kind="submit"))
    seen = set()
    for obj in rows:
        _sql, fields = _build_insert(type(obj)._meta, connection, 1, True)
        for field, plain in fields:
            seen.add(plain)
            value = getattr(obj, field.attname)
            if plain is not None and (value is None or type(value) is plain):
                assert field.get_db_prep_save(field.pre_save(obj, True), connection=connection) == value, field
            if field.get_internal_type() in ("DateTimeField", "DateField"):
                assert plain in (None, type(None)), field  # a date or time is converted by its field
                assert plain is None or not (field.auto_now or field.auto_now_add), field
            if field.get_internal_type() == "JSONField":
                assert plain is None, field  # None is JSON null or SQL NULL: the field decides
    assert {str, int, bool, type(None), None} <= seen
    # A value of another type goes through its field: a lazy translation is written as its text.
    note = Notification(user=citizen, report=report, kind="submit", subject=gettext_lazy("Laporan"), url="/x")
    insert_rows([note])
    assert Notification.objects.get(pk=note.pk).subject == "Laporan"


def test_insert_rows_leaves_a_model_with_save_receivers_to_the_orm(make_report):
    from django.db.models.signals import post_save

    from complaints.models import StatusCount
    from lapor.prepared import insert_rows

    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.status, created))

    post_save.connect(receiver, sender=StatusCount)
    try:
        insert_rows([StatusCount(status="submitted", n=1)])
    finally:
        post_save.disconnect(receiver, sender=StatusCount)
    assert heard == [("submitted", True)]


# --- objects ---------------------------------------------------------------------------------------


def _loaded(obj, related=()):
    """What a loaded instance holds: its field values, annotations and the related objects given."""
    values = {k: v for k, v in obj.__dict__.items() if not k.startswith("_")}
    for name in related:
        rel = getattr(obj, name)
        values[name] = None if rel is None else _loaded(rel)
    return values


def test_objects_are_the_instances_the_orm_makes(make_report, national_admin, tree):
    from django.db.models import F

    from complaints import workflow
    from complaints.models import Event, Report
    from complaints.tests.portal import published

    first = published(make_report, national_admin, title="Pertama")
    workflow.dispatch(first, by=national_admin, to_agency=tree["badung"], note="Ke Badung")
    second = published(make_report, national_admin, title="Kedua")
    built = []

    def steps(report):
        built.append(report)
        return (
            Event.objects.filter(report_id=report)
            .select_related("agency", "target_agency")
            .annotate(next_id=F("pk") + 1)
            .order_by("created_at", "pk")
        )

    prepared = Prepared(steps)
    for report in (first, second, first):
        expected = list(steps(report.pk))
        got = prepared.objects(report=report.pk, known={"report": report})
        assert [type(e) for e in got] == [Event] * len(expected) and len(expected) >= 2
        related = ("agency", "target_agency")
        assert [_loaded(e, related) for e in got] == [_loaded(e, related) for e in expected]
        assert all(e._state.adding is False and e._state.db == "default" for e in got)
        assert all(e.report is report for e in got)  # known: no query to read it back
    assert len(built) == 4  # the three calls above built it once; each `expected` once
    # A row's own conversions: datetimes are datetimes, JSON is decoded, a report's own from_db runs.
    event = prepared.objects(report=first.pk)[-1]
    assert event.created_at == Event.objects.get(pk=event.pk).created_at and event.created_at.tzinfo
    reports = Prepared(lambda number: Report.objects.select_related("agency", "reporter").filter(tracking_no=number))
    (got,) = reports.objects(number=first.tracking_no)
    (expected,) = Report.objects.select_related("agency", "reporter").filter(tracking_no=first.tracking_no)
    assert _loaded(got, ("agency", "reporter")) == _loaded(expected, ("agency", "reporter"))
    assert reports.objects(number="TIDAKADA") == []


def test_objects_find_their_columns_converters_once_per_shape(make_report, monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    from complaints.models import Report

    make_report(title="Pertama")
    make_report(title="Kedua")
    found = []
    real = SQLCompiler.get_converters
    monkeypatch.setattr(SQLCompiler, "get_converters", lambda self, e: found.append(1) or real(self, e))
    prepared = Prepared(lambda: Report.objects.select_related("agency").order_by("pk"))
    for _i in range(3):
        got = prepared.objects()
        expected = list(Report.objects.select_related("agency").order_by("pk"))
        # Converted as the ORM converts: aware datetimes, the same values in every column.
        assert [(r.pk, r.title, r.created_at, r.event_date) for r in got] == [
            (r.pk, r.title, r.created_at, r.event_date) for r in expected
        ]
        assert got[0].created_at.tzinfo is not None
    assert len(found) == 3 + 1  # the ORM's own three reads, and the prepared statement's once


def test_loaded_rows_are_hashable_converted_and_make_the_instances_objects_gives(make_report, national_admin, tree):
    from complaints.models import Report
    from complaints.tests.portal import published

    first = published(make_report, national_admin, title="Pertama")
    second = published(make_report, national_admin, title="Kedua", is_anonymous=True)
    prepared = Prepared(lambda: Report.objects.for_cards().order_by("pk"))
    loaded = prepared.loaded()
    # Rows are tuples (a kept fragment's key, complaints/fragments.CardRows), converted as the ORM converts.
    assert all(type(row) is tuple and hash(row) for row in loaded.rows)
    assert loaded.rows[0][loaded.columns["created_at"]] == first.created_at
    assert loaded.layout == Prepared(lambda: Report.objects.for_cards().order_by("-pk")).loaded().layout
    made = [loaded.make(row) for row in loaded.rows]
    related = ("agency", "reporter")
    assert [_loaded(r, related) for r in made] == [_loaded(r, related) for r in prepared.objects()]
    assert [r.pk for r in made] == [first.pk, second.pk] and made[1].is_anonymous


# --- Plans kept by the server (execute, keep_plan) --------------------------------------------------

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE/EXECUTE is PostgreSQL's")
CODE_LIKE = 'SELECT "code" || \'%%\' FROM "agencies_agency" WHERE "code" LIKE %s AND "is_active" = %s ORDER BY "code"'
BY_CODE = 'SELECT "code" FROM "agencies_agency" WHERE "code" = %s'


def _kept():
    with connection.cursor() as cur:
        cur.execute("SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'lapor_plan_%%'")
        return dict(cur.fetchall())


def _codes(sql, params):
    with connection.cursor() as cur:
        execute(cur, sql, params)
        return [row[0] for row in cur.fetchall()]


@postgresql_only
def test_a_kept_statement_is_prepared_once_per_connection_and_reads_the_rows_of_the_moment(tree):
    before = _kept()
    assert _codes(CODE_LIKE, ["pemprov-bal%", True]) == ["pemprov-bali%"]
    Agency.objects.create(name="Uji", code="pemprov-bali-uji", kind="province", parent=tree["national"])
    assert _codes(CODE_LIKE, ["pemprov-bal%", True]) == ["pemprov-bali%", "pemprov-bali-uji%"]  # no result kept
    assert _codes(CODE_LIKE, ["pemkab-badung", True]) == ["pemkab-badung%"]
    new = {name: text for name, text in _kept().items() if name not in before}
    # One PREPARE for the three executions: its placeholders numbered, %% written as %.
    [(name, text)] = new.items()
    assert text == (
        f'PREPARE {name} AS SELECT "code" || \'%\' FROM "agencies_agency" WHERE "code" LIKE $1 AND "is_active" = $2 '
        'ORDER BY "code"'
    )


@postgresql_only
def test_the_logged_statement_shows_what_is_executed(tree):
    _codes(BY_CODE, ["pemkab-badung"])
    with CaptureQueriesContext(connection) as ctx:
        assert _codes(BY_CODE, ["pemkab-sleman"]) == ["pemkab-sleman"]
    # The PREPARE is the connection's, not a request's: one query, logged with the statement's text.
    [logged] = [q["sql"] for q in ctx.captured_queries]
    assert logged.startswith(f"/* {BY_CODE} */ EXECUTE lapor_plan_") and logged.endswith("('pemkab-sleman')")


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_a_new_connection_prepares_its_statements_again(tree):
    assert _codes(BY_CODE, ["pemkab-badung"]) == ["pemkab-badung"]
    connection.close()  # past CONN_MAX_AGE, or lost: the server forgot the connection's statements
    assert _codes(BY_CODE, ["pemkab-sleman"]) == ["pemkab-sleman"]
    assert len(_kept()) == 1


@postgresql_only
def test_with_keep_plans_off_nothing_is_prepared_and_turning_it_on_is_seen(tree, settings):
    settings.LAPOR_KEEP_PLANS = False
    before = _kept()
    by_code_and_kind = BY_CODE + ' AND "kind" = %s'  # a statement no other test prepared on this connection
    assert _codes(by_code_and_kind, ["pemkab-badung", "regency"]) == ["pemkab-badung"]
    kept = Prepared(lambda code: Agency.objects.filter(code=code).values_list("code"), keep_plan=True)
    assert kept.rows(code="pemkab-sleman") == [("pemkab-sleman",)]
    assert _kept() == before
    settings.LAPOR_KEEP_PLANS = True
    assert _codes(by_code_and_kind, ["pemkab-badung", "regency"]) == ["pemkab-badung"]
    assert kept.rows(code="pemkab-sleman") == [("pemkab-sleman",)]
    assert len(_kept()) == len(before) + 2


def test_a_kept_prepared_queryset_gives_what_the_orm_gives(tree):
    kept = Prepared(lambda kind, ids: Agency.objects.filter(kind=kind, pk__in=ids).order_by("pk"), keep_plan=True)
    ids = list(Agency.objects.order_by("pk").values_list("pk", flat=True))
    for kind, some in [("regency", ids), ("province", ids[:3]), ("opd", []), ("regency", ids[:1])]:
        expected = list(Agency.objects.filter(kind=kind, pk__in=some).order_by("pk"))
        got = kept.objects(kind=kind, ids=some)
        assert [(a.pk, a.code, a.path, a.parent_id, a.is_active) for a in got] == [
            (a.pk, a.code, a.path, a.parent_id, a.is_active) for a in expected
        ]


def test_a_kept_statement_carries_its_constants_in_its_text(tree):
    # Constants written as literals (PostgreSQL plans them once with their statistics); only the
    # call's values are parameters. The same rows, a LIKE pattern's % included.
    def build(pk):
        return (
            Agency.objects.filter(Q(pk=pk) | Q(code__startswith="pemkab-sle") | Q(name__contains="100%"))
            .order_by("code")
            .values_list("code")
        )

    kept, plain = Prepared(build, keep_plan=True), Prepared(build)
    badung = tree["badung"].pk
    assert kept.rows(pk=badung) == plain.rows(pk=badung) == [("pemkab-badung",), ("pemkab-sleman",)]
    if connection.vendor == "postgresql":
        sql, params = kept.sql(pk=badung)
        assert params == [badung] and "'pemkab-sle%%'" in sql and "'%%100\\%%%%'" in sql, sql
        assert len(plain.sql(pk=badung)[1]) == 3


@postgresql_only
def test_a_few_rows_are_inserted_through_a_kept_plan_many_rows_and_keep_plans_off_are_not(
    make_report, citizen, settings
):
    from django.utils import timezone

    from complaints.models import Notification
    from lapor.prepared import KEEP_PLAN_MAX_ROWS, insert_rows

    report = make_report()
    event = report.events.get()

    def rows(n, tag):
        now = timezone.now()
        return [
            Notification(
                user=citizen, report=report, event=event, kind="submit", subject=f"{tag}{i}", url="/u", created_at=now
            )
            for i in range(n)
        ]

    def inserted(objs):
        with CaptureQueriesContext(connection) as ctx:
            insert_rows(objs)
        [logged] = [q["sql"] for q in ctx.captured_queries]
        assert all(o.pk for o in objs) and Notification.objects.filter(pk__in=[o.pk for o in objs]).count() == len(objs)
        return logged

    # The submission's INSERTs (one to a few rows): parsed and planned by PostgreSQL once per connection.
    for n in (1, 2, KEEP_PLAN_MAX_ROWS):
        logged = inserted(rows(n, f"k{n}-"))
        assert logged.startswith('/* INSERT INTO "complaints_notification"') and " */ EXECUTE lapor_plan_" in logged
    assert sorted(Notification.objects.filter(subject__startswith="k2-").values_list("subject", flat=True)) == [
        "k2-0",
        "k2-1",
    ]
    kept = _kept()

    def shapes(statements):  # the row counts of the notification INSERTs prepared on this connection
        return {text.count("), (") + 1 for text in statements.values() if 'INTO "complaints_notification"' in text}

    assert {1, 2, KEEP_PLAN_MAX_ROWS} <= shapes(kept)
    inserted(rows(1, "again"))  # the same statement again: no new PREPARE
    assert _kept() == kept
    # A broadcast's many rows (one statement per row count): not kept on the connection.
    assert inserted(rows(KEEP_PLAN_MAX_ROWS + 1, "many")).startswith('INSERT INTO "complaints_notification"')
    settings.LAPOR_KEEP_PLANS = False  # behind a pooler that shares server sessions
    assert inserted(rows(1, "off")).startswith('INSERT INTO "complaints_notification"')
    assert _kept() == kept and KEEP_PLAN_MAX_ROWS + 1 not in shapes(_kept())


def _later_rows(report, user, *subjects):
    from django.utils import timezone

    from complaints.models import Notification

    now = timezone.now()
    event = report.events.get()
    return [
        Notification(user=user, report=report, event=event, kind="submit", subject=s, url="/u", created_at=now)
        for s in subjects
    ]


@postgresql_only
def test_writes_queued_travel_with_the_next_kept_statement_in_one_query(make_report, citizen):
    from complaints.models import Notification
    from lapor.prepared import insert_rows, writes_sent_with_the_next_statement

    report = make_report()
    _codes(BY_CODE, ["pemkab-badung"])  # prepared before: no PREPARE below
    # Values with % in them: the queued text travels inside a statement whose values psycopg2 merges.
    first, second = _later_rows(report, citizen, "50% dari %s", "kedua %%")
    with CaptureQueriesContext(connection) as ctx, writes_sent_with_the_next_statement():
        insert_rows([first], later=True)
        insert_rows([second], later=True)
        assert _codes(BY_CODE, ["pemkab-sleman"]) == ["pemkab-sleman"]  # the rows' read; it carries them
    [carrier] = [q["sql"] for q in ctx.captured_queries]
    assert carrier.count('INSERT INTO "complaints_notification"') == 2 and carrier.endswith("('pemkab-sleman')")
    subjects = set(Notification.objects.filter(report=report).values_list("subject", flat=True))
    assert {"50% dari %s", "kedua %%"} <= subjects
    assert first.pk is None and not first._state.adding  # saved; the id the database drew is not read


@postgresql_only
def test_a_queued_write_makes_no_django_cursor(make_report, citizen, monkeypatch):
    # Queued, an INSERT is only merged into text (the driver's mogrify): none of Django's cursor wrapping,
    # a sixth of an INSERT's CPU (issue #15).
    from complaints.models import Notification
    from lapor.prepared import insert_rows, writes_sent_with_the_next_statement

    report = make_report()
    first, second = _later_rows(report, citizen, "pertama", "kedua")
    made = []
    wrapper = type(connections["default"])
    django_cursor = wrapper.cursor
    monkeypatch.setattr(wrapper, "cursor", lambda db: made.append(1) or django_cursor(db))
    with writes_sent_with_the_next_statement():
        insert_rows([first], later=True)
        insert_rows([second], later=True)
        assert made == []
        assert _codes(BY_CODE, ["pemkab-sleman"]) == ["pemkab-sleman"]  # the read that carries them
    assert set(Notification.objects.filter(report=report).values_list("subject", flat=True)) >= {"pertama", "kedua"}


@postgresql_only
def test_any_other_statement_sends_the_queued_writes_first_and_the_block_sends_what_is_left(make_report, citizen):
    from complaints.models import Notification
    from lapor.prepared import insert_rows, writes_sent_with_the_next_statement

    report = make_report()
    first, rest, now = (_later_rows(report, citizen, s) for s in ("dulu", "sisa", "langsung"))
    insert_rows(_later_rows(report, citizen, "siap"))  # each INSERT's plan prepared before
    with CaptureQueriesContext(connection) as ctx, writes_sent_with_the_next_statement():
        insert_rows(first, later=True)
        assert Notification.objects.filter(report=report, subject="dulu").count() == 1  # the ORM sees it
        insert_rows(rest, later=True)
        insert_rows(now)  # not later: sent at once, after what is queued
    sent = [q["sql"] for q in ctx.captured_queries]
    assert [(s.count("INSERT INTO"), "'dulu'" in s, "'sisa'" in s, "'langsung'" in s) for s in sent] == [
        (1, True, False, False),  # sent on its own, before the ORM's read
        (0, True, False, False),  # the read
        (2, False, True, True),  # in front of the next INSERT
    ]
    assert Notification.objects.filter(report=report, subject__in=["dulu", "sisa", "langsung"]).count() == 3
    last = _later_rows(report, citizen, "akhir")
    with writes_sent_with_the_next_statement():
        insert_rows(last, later=True)
    assert Notification.objects.filter(report=report, subject="akhir").count() == 1  # sent when the block ends


@postgresql_only
def test_a_queued_write_that_fails_raises_in_its_transaction_and_a_python_error_keeps_the_others(make_report, citizen):
    from django.db import IntegrityError, transaction

    from complaints.models import Notification
    from lapor.prepared import insert_rows, writes_sent_with_the_next_statement

    report = make_report()
    _codes(BY_CODE, ["pemkab-badung"])
    kept = _later_rows(report, citizen, "sebelum")
    broken = _later_rows(report, citizen, "rusak")
    broken[0].kind = None  # NOT NULL: refused by the server, not by Python
    with pytest.raises(IntegrityError), transaction.atomic(), writes_sent_with_the_next_statement():
        insert_rows(kept, later=True)
        insert_rows(broken, later=True)
        _codes(BY_CODE, ["pemkab-sleman"])  # raises here, the statement the write travels with
    assert not Notification.objects.filter(subject__in=["sebelum", "rusak"]).exists()  # the transaction undone

    class Boom(Exception):
        pass

    kept = _later_rows(report, citizen, "tetap")
    with pytest.raises(Boom), writes_sent_with_the_next_statement():
        insert_rows(kept, later=True)
        raise Boom
    assert Notification.objects.filter(subject="tetap").count() == 1  # as if it had been sent at once


@postgresql_only
def test_writes_queued_before_a_read_without_parallel_workers_are_kept(make_report, citizen):
    # without_parallel_workers runs a statement in a savepoint it rolls back (undoing its setting): writes
    # queued before must not travel inside it, nor be sent through it (review of #15's tenth session, F2).
    from django.db import transaction

    from complaints.models import Notification
    from lapor.prepared import insert_rows, without_parallel_workers, writes_sent_with_the_next_statement

    report = make_report()
    _codes(BY_CODE, ["pemkab-badung"])
    with transaction.atomic(), writes_sent_with_the_next_statement():
        insert_rows(_later_rows(report, citizen, "dibawa"), later=True)
        with without_parallel_workers():
            assert _codes(BY_CODE, ["pemkab-sleman"]) == ["pemkab-sleman"]
        insert_rows(_later_rows(report, citizen, "kedua"), later=True)
        with without_parallel_workers():
            assert Notification.objects.filter(report=report, subject="dibawa").count() == 1  # the ORM's read
    assert Notification.objects.filter(report=report, subject__in=["dibawa", "kedua"]).count() == 2


def test_elsewhere_later_writes_are_sent_at_once(make_report, citizen, settings):
    from complaints.models import Notification
    from lapor.prepared import insert_rows, writes_sent_with_the_next_statement

    report = make_report()
    rows = _later_rows(report, citizen, "segera")
    insert_rows(rows, later=True)  # outside the block
    assert rows[0].pk and Notification.objects.filter(subject="segera").count() == 1
    settings.LAPOR_KEEP_PLANS = False  # behind a pooler: nothing queued either
    with writes_sent_with_the_next_statement():
        rows = _later_rows(report, citizen, "pooler")
        insert_rows(rows, later=True)
        assert rows[0].pk and Notification.objects.filter(subject="pooler").count() == 1


@pytest.fixture
def reload_reference(django_db_blocker):
    """Request this BEFORE transactional_db: its teardown runs after the flush and restores the session's
    reference data for the tests that follow."""
    yield
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)


@postgresql_only
def test_opened_around_a_transaction_nothing_is_queued(reload_reference, transactional_db, make_report, citizen):
    """COMMIT and ROLLBACK are not statements the block sees: queued writes of a transaction opened inside it
    would be sent after the transaction, in autocommit — a rolled back write made all the same."""
    from django.db import transaction

    from complaints.models import Notification
    from lapor.prepared import insert_rows, writes_sent_with_the_next_statement

    report = make_report()
    rows = _later_rows(report, citizen, "dibatalkan")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), writes_sent_with_the_next_statement(), transaction.atomic():
        insert_rows(rows, later=True)
        raise Boom
    assert not Notification.objects.filter(subject="dibatalkan").exists()  # undone with its transaction
    rows = _later_rows(report, citizen, "tersimpan")
    with writes_sent_with_the_next_statement(), transaction.atomic():
        insert_rows(rows, later=True)
        assert rows[0].pk  # sent at once, its id read
    assert Notification.objects.filter(subject="tersimpan").count() == 1
