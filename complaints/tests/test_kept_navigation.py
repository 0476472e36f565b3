"""The site's navigation kept per worker, language and kind of visitor (complaints/fragments.py
`navigation`): what is kept equals what would be drawn in full; each visitor's own values — CSRF token,
the page they are on, their public name, their unread count — are theirs and shown at once; languages
and kinds of visitor (anonymous, citizen, staff, national) are kept apart."""

import re

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from accounts.testing import force_login
from complaints import fragments
from complaints.models import Notification

NAV = re.compile(r"<nav .*?</nav>", re.S)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


@pytest.fixture(autouse=True)
def rendered_and_fresh():
    fragments.clear_local()
    with override_settings(LAPOR_PAGE_CACHE_SECONDS=0):  # pages rendered, not kept whole for anonymous visitors
        yield
    fragments.clear_local()


def _signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    force_login(client, user)
    return client


def _nav(client, url="/laporan/lacak/") -> str:
    return NAV.search(client.get(url).content.decode()).group()


def _unread(user, n):
    Notification.objects.bulk_create([Notification(user=user, kind="test", subject="s", body="b") for _i in range(n)])


def test_the_kept_navigation_is_the_navigation_drawn_in_full(citizen, national_admin, agency_admin, monkeypatch):
    _unread(citizen, 3)
    visitors = [Client(), _signed_in(citizen), _signed_in(national_admin), _signed_in(agency_admin)]
    urls = ["/laporan/lacak/", "/en/laporan/?page=2", "/laporan/lacak/?no=A%3Cb%3E&x=1"]
    kept = [_nav(c, url) for c in visitors for url in urls]
    again = [_nav(c, url) for c in visitors for url in urls]
    assert len(fragments._navs.items) == 8  # 4 kinds x 2 languages
    monkeypatch.setattr(fragments, "_keepable", lambda request, token: False)
    full = [_nav(c, url) for c in visitors for url in urls]
    assert [TOKEN.sub("", h) for h in kept] == [TOKEN.sub("", h) for h in again] == [TOKEN.sub("", h) for h in full]
    for html in kept:
        assert not any(mark in html for mark in (fragments.CSRF_MARK, fragments.NAV_PATH_MARK, fragments.NAV_NAME_MARK))
        assert fragments.NAV_UNREAD_MARK not in html
    assert 'value="/laporan/lacak/?no=A%3Cb%3E&amp;x=1"' in kept[2]  # the visitor's page, escaped


def test_each_visitor_sees_their_own_name_and_unread_count_at_once(citizen, other_citizen):
    other_citizen.display_name = "Siti"
    other_citizen.save()
    _unread(citizen, 3)
    mine, theirs = _signed_in(citizen), _signed_in(other_citizen)
    for _i in range(2):
        nav = _nav(mine)
        assert ">Made</a>" in nav and ">3<span" in nav and "Siti" not in nav
        nav = _nav(theirs)
        assert ">Siti</a>" in nav and "belum dibaca" not in nav and "Made" not in nav
    Notification.objects.filter(pk=Notification.objects.filter(user=citizen).first().pk).update(read_at=timezone.now())
    assert ">2<span" in _nav(mine)
    _unread(other_citizen, 120)
    nav = _nav(theirs)  # now of the same kind as the first visitor's: their own name still
    assert ">99+<span" in nav and ">Siti</a>" in nav and "Made" not in nav and ">2<span" in _nav(mine)
    Notification.objects.filter(user=citizen).update(read_at=timezone.now())
    assert "belum dibaca" not in _nav(mine) and ">Made</a>" in _nav(mine)


def test_each_kind_of_visitor_and_language_has_its_own_navigation(citizen, national_admin, agency_admin):
    national, agency, mine, anonymous = (
        _nav(_signed_in(national_admin)),
        _nav(_signed_in(agency_admin)),
        _nav(_signed_in(citizen)),
        _nav(Client()),
    )
    assert "Laporan terlambat" in national and "Kesiapan instansi" in national
    assert "Ruang kerja admin" in agency and "Laporan terlambat" not in agency
    assert "Ruang kerja admin" not in mine and "Laporan saya" in mine and "Keluar" in mine
    assert "Laporan saya" not in anonymous and "Keluar" not in anonymous and "Masuk" in anonymous
    english = _nav(_signed_in(citizen), "/en/laporan/lacak/")
    assert "Laporan publik" not in english and "Laporan publik" in mine
    assert '<option value="en" lang="en" selected>' in english and '<option value="id" lang="id" selected>' in mine


def test_the_navigations_token_is_the_visitors_own_and_validates(citizen, other_citizen):
    for user in (citizen, other_citizen):
        client = _signed_in(user, enforce_csrf_checks=True)
        tokens = set(TOKEN.findall(_nav(client)))
        assert len(tokens) == 1  # the language switch's and the logout's: this response's token
        response = client.post("/akun/keluar/", {"csrfmiddlewaretoken": tokens.pop()})
        assert response.status_code == 302
        assert "Keluar" not in _nav(client)
