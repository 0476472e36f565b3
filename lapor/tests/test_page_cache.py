"""Whole anonymous pages kept in the cache (lapor/page_cache.py): a hit renders nothing and reads no
database, yet every response has its own CSRF token, cookie and submission key and the same security
headers as a rendered one; signed-in visitors and other languages never get another's copy; a
change to a public report, Rahasia above all, is never served from a kept page; Redis down renders."""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from complaints import workflow
from complaints.models import Comment, Report
from complaints.tests.portal import published
from lapor import page_cache, refcache

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')


def _rendered(response) -> bool:
    """A template was rendered for this response (a miss), or not (served from the kept page)."""
    return bool(response.templates)


def _headers(response) -> dict:
    return dict(response.items())


def _cookies(response) -> dict:
    return {name: {k: v for k, v in morsel.items() if v} for name, morsel in response.cookies.items()}


@pytest.fixture
def report(make_report, national_admin):
    return published(make_report, national_admin, title="Lampu jalan padam di Kuta")


def test_a_second_anonymous_visit_is_served_from_the_cache_without_the_database(report, django_assert_num_queries):
    for url in [
        reverse("complaints:list"),
        reverse("complaints:list") + "?q=lampu",
        reverse("complaints:detail", args=[report.tracking_no]),
        reverse("complaints:submit"),
        reverse("complaints:track"),
        reverse("home"),
    ]:
        first = Client().get(url)
        assert first.status_code == 200 and _rendered(first), url
        with django_assert_num_queries(0):
            second = Client().get(url)
        assert second.status_code == 200 and not _rendered(second), url
        strip = lambda html: SUBMISSION_KEY.sub("", TOKEN.sub("", html.decode()))  # noqa: E731
        assert strip(second.content) == strip(first.content), url
    assert "Lampu jalan padam di Kuta" in Client().get(reverse("complaints:list")).content.decode()


def test_a_hit_has_the_headers_and_cookie_of_a_rendered_page(report):
    for url in ["/laporan/", "/laporan/baru/", "/en/laporan/"]:
        miss, hit = Client().get(url), Client().get(url)
        assert _rendered(miss) and not _rendered(hit)
        assert _headers(hit) == _headers(miss), url
        for name in ["Content-Security-Policy", "Permissions-Policy", "X-Frame-Options", "Content-Language"]:
            assert hit[name], name
        assert _cookies(hit).keys() == _cookies(miss).keys() == {django_settings.CSRF_COOKIE_NAME}
        drop_value = lambda c: {k: {a: v for a, v in m.items() if a != "value"} for k, m in c.items()}  # noqa: E731
        assert drop_value(_cookies(hit)) == drop_value(_cookies(miss))


def test_every_response_from_the_cache_has_its_own_token_and_submission_key_and_the_token_validates(db):
    url = reverse("complaints:submit")
    Client().get(url)  # kept
    keys, tokens = set(), set()
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        page = client.get(url)
        assert not _rendered(page)
        html = page.content.decode()
        token, key = TOKEN.search(html).group(1), SUBMISSION_KEY.search(html).group(1)
        tokens.add(token)
        keys.add(key)
        # The form posted back with the kept page's token passes the CSRF check (the draft is kept and
        # the visitor asked to sign in); a wrong token does not.
        posted = client.post(url, {"csrfmiddlewaretoken": token, "title": "x", "submission_key": key})
        assert posted.status_code == 302 and reverse("accounts:login") in posted["Location"]
        assert client.post(url, {"csrfmiddlewaretoken": "x" * 64, "title": "x"}).status_code == 403
    assert len(tokens) == 2 and len(keys) == 2


def test_a_visitor_with_a_csrf_cookie_keeps_it(db):
    url = reverse("complaints:list")
    Client().get(url)
    client = Client(enforce_csrf_checks=True)
    client.get(url)
    secret = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    again = client.get(url)
    assert not _rendered(again)
    assert again.cookies[django_settings.CSRF_COOKIE_NAME].value == secret


def test_signed_in_visitors_never_get_nor_leave_a_kept_page(report, citizen):
    url = reverse("complaints:list")
    Client().get(url)  # kept, anonymous
    client = Client()
    client.force_login(citizen)
    mine = client.get(url)
    logout = reverse("accounts:logout")
    assert _rendered(mine) and mine.wsgi_request.user == citizen and logout in mine.content.decode()
    # What the signed-in visitor saw was not kept for the next anonymous one.
    anonymous = Client().get(url)
    assert not _rendered(anonymous) and logout not in anonymous.content.decode()


def test_languages_are_kept_apart(report):
    chooser = Client()
    chooser.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"  # the path decides, as LocaleMiddleware does
    assert chooser.get("/laporan/baru/")["Content-Language"] == "id"
    english = Client().get("/en/laporan/baru/")
    assert _rendered(english) and english["Content-Language"] == "en"
    again = Client().get("/en/laporan/baru/")
    assert not _rendered(again) and again["Content-Language"] == "en" and 'lang="en"' in again.content.decode()
    indonesian = Client().get("/laporan/baru/")
    assert not _rendered(indonesian) and indonesian["Content-Language"] == "id"
    assert 'lang="id"' in indonesian.content.decode()


def test_a_change_to_a_public_report_is_never_served_from_a_kept_page(report, national_admin, citizen, tree):
    detail = reverse("complaints:detail", args=[report.tracking_no])
    feed = reverse("complaints:list")
    for url in (detail, feed):
        Client().get(url)
        assert not _rendered(Client().get(url))
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    page = Client().get(detail)
    assert _rendered(page) and "Pemerintah Kabupaten Badung" in page.content.decode()
    assert _rendered(Client().get(feed))
    Comment.add(report, citizen, "Sudah seminggu belum diperbaiki.")
    assert "Sudah seminggu belum diperbaiki." in Client().get(detail).content.decode()


def test_a_report_made_rahasia_leaves_every_kept_page(report):
    urls = [reverse("complaints:list"), reverse("complaints:detail", args=[report.tracking_no]), reverse("home")]
    for url in urls:
        Client().get(url)
        kept = Client().get(url)
        assert not _rendered(kept) and "Lampu jalan padam di Kuta" in kept.content.decode()
    report = Report.objects.get(pk=report.pk)
    report.is_confidential = True
    report.save(update_fields=["is_confidential"])
    for url in urls:
        assert "Lampu jalan padam di Kuta" not in Client().get(url).content.decode(), url


def test_a_submission_keeps_the_kept_pages(report, make_report):
    url = reverse("complaints:list")
    Client().get(url)
    make_report(title="Belum diverifikasi")  # not public: nothing the feed shows changed
    assert not _rendered(Client().get(url))


def test_a_visitor_with_a_message_or_a_session_gets_a_rendered_page(db):
    Client().get("/laporan/baru/")
    for cookie in ["messages", django_settings.SESSION_COOKIE_NAME]:
        client = Client()
        client.cookies[cookie] = "x"
        assert _rendered(client.get("/laporan/baru/")), cookie


def test_a_response_carrying_a_message_is_not_kept(db):
    from django.contrib import messages
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse
    from django.test import RequestFactory

    rendered = []

    def view(request):
        request.session, request.user = SessionStore(), AnonymousUser()
        request._messages = FallbackStorage(request)
        messages.info(request, "Sekali saja")
        rendered.append(request)
        response = HttpResponse("<p>Sekali saja</p>")
        response["Content-Language"] = "id"
        return response

    middleware = page_cache.PageCacheMiddleware(view)
    for _ in range(2):
        assert middleware(RequestFactory().get("/laporan/baru/")).status_code == 200
    assert len(rendered) == 2


def test_redis_down_renders_every_page(settings, report):
    settings.CACHES = {
        "default": {
            "BACKEND": "lapor.cache.FailSafeRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"DOWN_SECONDS": 0},
        }
    }
    refcache.clear_local()
    for url in [reverse("complaints:list"), reverse("complaints:submit"), reverse("home")]:
        for _ in range(2):
            response = Client().get(url)
            assert response.status_code == 200 and _rendered(response), url
    page_cache.clear()  # answers nothing, raises nothing
