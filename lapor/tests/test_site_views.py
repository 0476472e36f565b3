"""The language switch (both ways) and /favicon.ico."""

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _indonesian_afterwards():
    yield
    translation.activate(settings.LANGUAGE_CODE)  # a request to /en/ leaves English active in this thread


def switch(client, language, next_path):
    return client.post("/i18n/setlang/", {"language": language, "next": next_path})


def test_switching_to_english_and_back_to_indonesian(client):
    to_english = switch(client, "en", "/laporan/?halaman=2")
    assert to_english.status_code == 302
    assert to_english["Location"] == "/en/laporan/?halaman=2"

    back = switch(client, "id", "/en/laporan/?halaman=2")
    assert back["Location"] == "/laporan/?halaman=2"
    page = client.get(back["Location"])
    assert page.status_code == 200
    assert '<html lang="id">' in page.content.decode()


def test_the_switch_offers_each_language_under_its_own_name(client):
    for path in ("/", "/en/"):
        html = client.get(path).content.decode()
        assert '<option value="id" lang="id"' in html
        assert ">Bahasa Indonesia</option>" in html
        assert ">English</option>" in html
        assert "Bahasa Inggris" not in html


def test_category_names_are_english_in_english(client, make_report, citizen):
    report = make_report()
    client.force_login(citizen)
    english = client.get(f"/en/laporan/{report.tracking_no}/").content.decode()
    assert report.category.name_en and report.category.name_en in english
    indonesian = client.get(f"/laporan/{report.tracking_no}/").content.decode()
    assert report.category.name in indonesian


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/favicon.ico")
    assert '<link rel="icon" href="/static/favicon.ico"' in client.get("/").content.decode()
    with open(finders.find("favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file
