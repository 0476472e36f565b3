"""The named cast and agency tree shared by every app's tests."""

import datetime as dt

import pytest
from django.core.management import call_command

from accounts.models import User
from agencies.models import Agency, Membership, Region
from complaints import workflow
from complaints.models import Category

Role = Membership.Role


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path, monkeypatch):
    # Every test starts in the default language: a request to an /en/ page leaves English active in the
    # test's thread (LocaleMiddleware does not switch back), and reverse() would then prefix /en/.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }
    from django.apps import apps
    from django.core.files.storage import storages

    from complaints.models import private_storage

    storages._storages.pop("private", None)
    # A FileField calls its storage callable once, at import: point the private ones at this test's folder.
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if getattr(field, "_storage_callable", None) is private_storage:
                monkeypatch.setattr(field, "storage", storages["private"])
    # The report form's cached region/category choices must not leak from one test's data to another.
    from django.core.cache import cache

    cache.delete_many(
        [
            "lapor:report-form-choices:id",
            "lapor:report-form-choices:en",
            "lapor:feed-filter-options:id",
            "lapor:feed-filter-options:en",
        ]
    )
    # Reference data kept in memory (lapor/refcache.py) must not outlive the test that wrote it: a
    # rolled-back transaction sends no signal.
    from lapor import refcache

    refcache.clear_local()
    # Nor the parts of pages kept per worker (complaints/fragments.py, complaints/report_parts.py).
    from complaints import fragments, report_parts

    fragments.clear_local()
    report_parts.clear_local()
    # Nor the admin queue's drawn rows (complaints/admin_list.py).
    from complaints import admin_list

    admin_list.clear_local()
    # Nor the agency queues' tabs and pages kept per worker (complaints/queue_cache.py).
    from complaints import queue_cache

    queue_cache.clear_local()
    # Nor the whole pages kept for anonymous visitors (lapor/page_cache.py).
    from lapor import page_cache

    page_cache.clear()
    # Nor the slow searches charged to the test client's address, every test's (complaints/search_budget.py).
    from complaints import search_budget

    search_budget.forget("127.0.0.1")


@pytest.fixture(autouse=True)
def _staff_logins_pass_the_second_factor(monkeypatch):
    """`client.force_login(staff)` yields a session that has also passed TOTP (accounts/testing.py);
    tests of the second factor itself use `login_without_second_factor(client, user)`."""
    from django.test import Client

    from accounts.testing import force_login

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)


@pytest.fixture
def areas(tree):
    """Districts and villages, loaded again if a transactional test flushed them."""
    from agencies.models import Village

    if not Village.objects.filter(pk="51.03.01.1001").exists():
        call_command("load_reference", verbosity=0)


def _user(email, name, **extra):
    return User.objects.create_user(email, "lapor-test", full_name=name, **extra)


@pytest.fixture
def tree(db):
    """The pilot tree from the reference data: Bali → Badung → Dinkes → Puskesmas; Sleman as a sibling."""
    if not Agency.objects.filter(code="kemenpanrb").exists():
        # A transactional test (live server, concurrency) flushed the tables it committed to. The
        # 90,000 districts and villages only where a test asks for them (`areas` fixture).
        call_command("load_reference", "--without-areas", verbosity=0)
    get = Agency.objects.get
    return {
        "national": get(code="kemenpanrb"),
        "bali": get(code="pemprov-bali"),
        "badung": get(code="pemkab-badung"),
        "dinkes": get(code="dinkes-badung"),
        "unit": Agency.objects.filter(parent__code="dinkes-badung").order_by("pk").first(),
        "sleman": get(code="pemkab-sleman"),
        "diy": get(code="pemprov-diy"),
    }


def _member(user, agency, role):
    Membership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def citizen(db):
    return _user("warga@example.test", "Made Warga", phone="081234567890", nik="5103012345678901")


@pytest.fixture
def other_citizen(db):
    return _user("lain@example.test", "Siti Lain")


@pytest.fixture
def national_admin(tree):
    return _member(_user("admin@example.test", "Admin Nasional", is_staff=True), tree["national"], Role.NATIONAL_ADMIN)


@pytest.fixture
def supervisor(tree):
    return _member(_user("ombudsman@example.test", "Pengawas", is_staff=True), get_ombudsman(), Role.SUPERVISOR)


def get_ombudsman():
    return Agency.objects.get(code="ombudsman")


@pytest.fixture
def agency_admin(tree):
    return _member(_user("badung@example.test", "Admin Badung", is_staff=True), tree["badung"], Role.AGENCY_ADMIN)


@pytest.fixture
def parent_admin(tree):
    return _member(_user("bali@example.test", "Admin Bali", is_staff=True), tree["bali"], Role.AGENCY_ADMIN)


@pytest.fixture
def sibling_admin(tree):
    return _member(_user("sleman@example.test", "Admin Sleman", is_staff=True), tree["sleman"], Role.AGENCY_ADMIN)


@pytest.fixture
def unit_admin(tree):
    return _member(_user("dinkes@example.test", "Admin Dinkes", is_staff=True), tree["dinkes"], Role.UNIT_ADMIN)


@pytest.fixture
def liaison(tree):
    return _member(
        _user("penghubung@example.test", "Penghubung Dinkes", is_staff=True), tree["dinkes"], Role.LIAISON_OFFICER
    )


@pytest.fixture
def head(tree):
    return _member(_user("pimpinan@example.test", "Pimpinan Badung", is_staff=True), tree["badung"], Role.HEAD)


@pytest.fixture
def make_report(db, citizen, tree):
    """make_report(**overrides) files a report through the workflow, as a citizen would."""
    regency = Region.objects.get(code="51.03")
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()

    def make(**overrides):
        kwargs = {
            "by": citizen,
            "classification": "complaint",
            "title": "Jalan berlubang di depan puskesmas",
            "body": "Lubang besar membahayakan pengendara sejak dua minggu.",
            "event_date": dt.date(2026, 1, 5),
            "province": regency.parent,
            "regency": regency,
            "category": category,
            "suggested_agency": tree["badung"],
        }
        kwargs.update(overrides)
        return workflow.submit(**kwargs)

    return make


@pytest.fixture
def eager_celery():
    """Run queued tasks in-process even when REDIS_URL is set (CI has a real broker but no worker)."""
    from lapor.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def throwaway_redis(tmp_path):
    """A redis-server of the test's own on a free loopback port, which the test may stop and start again."""
    from lapor.tests.throwaway_redis import ThrowawayRedis

    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker_down():
    """The Celery broker unreachable (a closed port) and tasks not eager, for the duration of a test."""
    from lapor.celery import app as celery_app

    before = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = "redis://127.0.0.1:1/0", False  # port 1: closed
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = before
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
