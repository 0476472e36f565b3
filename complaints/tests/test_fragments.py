"""Parts of rendered pages kept per worker (complaints/fragments.py): the blank report form and the
feed's report cards. What is kept equals what would be rendered; a change is seen at once; languages
are kept apart; nothing of one visitor (token, submission key, draft, identity) reaches another."""

import copy
import datetime as dt
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse, set_script_prefix
from django.utils import timezone, translation

from accounts.testing import force_login
from agencies.models import Region
from complaints import fragments, workflow
from complaints.models import Category, Clock, Event, Report, Status
from complaints.tests.portal import published
from lapor import refcache

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')

# Rendered pages only: the whole-page cache for anonymous visitors (lapor/page_cache.py) has its own tests.
pytestmark = pytest.mark.usefixtures("no_page_cache")


@pytest.fixture
def no_page_cache():
    with override_settings(LAPOR_PAGE_CACHE_SECONDS=0):
        yield


def _strip(html: str) -> str:
    return SUBMISSION_KEY.sub("", TOKEN.sub("", html))


def _signed_in(user) -> Client:
    client = Client()
    force_login(client, user)
    return client


@pytest.mark.parametrize("url", ["/laporan/baru/", "/", "/en/laporan/baru/", "/en/"])
def test_the_kept_blank_form_is_the_form_rendered_in_full(db, citizen, monkeypatch, url):
    kept = [Client().get(url).content.decode(), _signed_in(citizen).get(url).content.decode()]
    monkeypatch.setattr(fragments, "_blank", lambda form, context: False)
    full = [Client().get(url).content.decode(), _signed_in(citizen).get(url).content.decode()]
    assert 'name="submission_key"' in kept[0] and 'name="csrfmiddlewaretoken"' in kept[0]
    assert [_strip(html) for html in kept] == [_strip(html) for html in full]


def test_each_response_has_its_own_token_and_submission_key_and_the_token_validates(db, citizen):
    url = reverse("complaints:submit")
    tokens, keys = set(), set()
    for client in [Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)]:
        force_login(client, citizen)
        html = client.get(url).content.decode()
        assert fragments.CSRF_MARK not in html and fragments.KEY_MARK not in html
        token, key = TOKEN.findall(html)[-1], SUBMISSION_KEY.search(html).group(1)
        tokens.add(token)
        keys.add(key)
        # The kept form's token is this visitor's: a POST with it passes the CSRF check.
        response = client.post(url, {"csrfmiddlewaretoken": token, "search_agency": "1", "submission_key": key})
        assert response.status_code == 200
        assert client.post(url, {"csrfmiddlewaretoken": "x" * 64, "search_agency": "1"}).status_code == 403
    assert len(tokens) == 2 and len(keys) == 2


def test_a_draft_is_rendered_for_its_owner_only_never_kept(db, citizen, other_citizen):
    owner = _signed_in(citizen)
    owner.get(reverse("complaints:submit"))  # the blank form kept
    typed = {"title": "Pungutan liar di kantor desa Sukamaju", "search_agency": "1", "agency_q": "dinas"}
    page = owner.post(reverse("complaints:submit"), typed).content.decode()
    assert "Pungutan liar di kantor desa Sukamaju" in page
    session = owner.session
    session["report_draft"] = {"data": {"title": "Pungutan liar di kantor desa Sukamaju"}, "files": []}
    session.save()
    assert "Pungutan liar di kantor desa Sukamaju" in owner.get(reverse("complaints:submit")).content.decode()
    for other in [_signed_in(other_citizen), Client()]:
        html = other.get(reverse("complaints:submit")).content.decode()
        assert "Pungutan liar" not in html and "dinas" not in SUBMISSION_KEY.sub("", html).split("agency_q")[1][:80]


def test_the_blank_form_follows_the_reference_data_and_the_language(db, citizen):
    client = _signed_in(citizen)
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    assert category.name in client.get("/laporan/baru/").content.decode()
    category.name, category.name_en = "Kebersihan saluran air kampung", "Village drain cleaning"
    category.save()  # bumps the reference-data generation (lapor.apps)
    assert "Kebersihan saluran air kampung" in client.get("/laporan/baru/").content.decode()
    english = client.get("/en/laporan/baru/").content.decode()
    assert "Village drain cleaning" in english and "Kebersihan saluran air kampung" not in english
    assert "Village drain cleaning" not in client.get("/laporan/baru/").content.decode()


def test_the_blank_form_is_rendered_once_per_worker_language_and_generation(db, citizen, monkeypatch):
    client = _signed_in(citizen)
    renders = []
    real = fragments._render_blank_form
    monkeypatch.setattr(fragments, "_render_blank_form", lambda engine: renders.append(1) or real(engine))
    for url in ["/laporan/baru/", "/", "/laporan/baru/", "/en/laporan/baru/", "/en/"]:
        assert client.get(url).status_code == 200
    assert len(renders) == 2  # Indonesian and English
    refcache.bump()
    client.get("/laporan/baru/")
    assert len(renders) == 3


@pytest.mark.parametrize("url", ["/laporan/baru/", "/", "/en/laporan/baru/"])
def test_a_blank_form_page_makes_no_form_once_the_form_is_kept(db, citizen, monkeypatch, url):
    from complaints.forms import ReportForm

    client = _signed_in(citizen)
    client.get(url)  # the kept copy drawn (by the one form it makes)
    made = []
    real = ReportForm.__init__
    monkeypatch.setattr(ReportForm, "__init__", lambda self, *a, **kw: made.append(1) or real(self, *a, **kw))
    html = client.get(url).content.decode()
    assert made == []
    assert len(SUBMISSION_KEY.findall(html)) == 1 and fragments.KEY_MARK not in html
    # A draft is the visitor's own form, made and drawn in full.
    session = client.session
    session["report_draft"] = {"data": {"title": "Pungutan liar di kantor desa Sukamaju"}, "files": []}
    session.save()
    if url.endswith("baru/"):
        assert "Pungutan liar di kantor desa Sukamaju" in client.get(url).content.decode()
        assert made


def test_a_blank_form_is_the_report_form_when_asked_more_than_its_key(db):
    from complaints.forms import BlankReportForm

    blank = BlankReportForm()
    key = blank.initial["submission_key"]
    assert not blank.is_bound and blank._value("title") is None
    assert set(blank.fields) >= {"title", "body", "regency", "category", "submission_key"}
    assert blank.form.initial["submission_key"] == key and not blank.form.is_bound
    assert BlankReportForm().initial["submission_key"] != key
    copied = copy.copy(BlankReportForm())  # made without __init__ first: no endless lookup
    assert set(copied.initial) == {"submission_key"} and not copied.is_bound


@pytest.fixture
def feed_report(make_report, national_admin):
    return published(make_report, national_admin, title="Lampu jalan padam di Kuta")


def _feed() -> str:
    return Client().get(reverse("complaints:list")).content.decode()


def _cards(url):
    """What the feed at `url` shows in its cards (the filter form names every category too)."""
    return lambda: "".join(re.findall(r"<article .*?</article>", Client().get(url).content.decode(), re.S))


def test_a_card_shows_each_change_at_once(feed_report, national_admin, tree):
    assert "Lampu jalan padam di Kuta" in _feed()
    Report.objects.filter(pk=feed_report.pk).update(title="Lampu jalan mati total di Kuta")
    assert "Lampu jalan mati total di Kuta" in _feed()
    Report.objects.filter(pk=feed_report.pk).update(support_count=41)
    assert "</i> 41 <span" in _feed()
    Report.objects.filter(pk=feed_report.pk).update(comment_count=7)
    assert "</i> 7 <span" in _feed()
    workflow.dispatch(Report.objects.get(pk=feed_report.pk), by=national_admin, to_agency=tree["badung"])
    assert tree["badung"].name in _feed()
    regency = Region.objects.filter(level="regency").exclude(pk=feed_report.regency_id).order_by("code").first()
    Report.objects.filter(pk=feed_report.pk).update(regency=regency)
    assert regency.name in _feed()


def test_a_card_shows_its_status_category_and_long_body_anew_in_each_language(feed_report):
    # The feed's cards are kept under their rows (fragments.CardRows): the category's name comes from the
    # reference data, not the row, and a long body is keyed by its digest; each change is seen at once.
    indonesian, english = _cards("/laporan/"), _cards("/en/laporan/")
    assert f">{Status.VERIFIED.label}</span>" in indonesian()
    Report.objects.filter(pk=feed_report.pk).update(status=Status.COMPLETED)
    assert f">{Status.COMPLETED.label}</span>" in indonesian() and ">Completed</span>" in english()
    category = Category.objects.get(pk=feed_report.category_id)
    category.name, category.name_en = "Penerangan jalan kampung", "Village street lighting"
    category.save()  # bumps the reference-data generation (lapor.apps)
    assert "Penerangan jalan kampung" in indonesian() and "Village street lighting" in english()
    long_body = "Lampu jalan padam. " * 200
    Report.objects.filter(pk=feed_report.pk).update(body="Awal berbeda. " + long_body)
    assert "Awal berbeda." in indonesian()
    Report.objects.filter(pk=feed_report.pk).update(body="Awal lainnya. " + long_body)  # as long as the one before
    html = indonesian()
    assert "Awal lainnya." in html and "Awal berbeda." not in html


def test_a_filtered_feeds_card_shows_each_change_at_once_in_each_language(feed_report, national_admin, tree):
    # A filtered feed's cards are made from reports (not CardRows): kept under what each shows.
    query = f"?klasifikasi=complaint&provinsi={feed_report.province_id}"
    indonesian, english = _cards(f"/laporan/{query}"), _cards(f"/en/laporan/{query}")
    assert "Lampu jalan padam di Kuta" in indonesian() and "Pelapor: Made" in indonesian()
    Report.objects.filter(pk=feed_report.pk).update(title="Lampu jalan mati total di Kuta")
    assert "Lampu jalan mati total di Kuta" in indonesian()
    Report.objects.filter(pk=feed_report.pk).update(support_count=41)
    assert "</i> 41 <span" in indonesian()
    Report.objects.filter(pk=feed_report.pk).update(comment_count=7)
    assert "</i> 7 <span" in indonesian()
    Report.objects.filter(pk=feed_report.pk).update(status=Status.COMPLETED)
    assert f">{Status.COMPLETED.label}</span>" in indonesian() and ">Completed</span>" in english()
    category = Category.objects.get(pk=feed_report.category_id)
    category.name_en = "Village street lighting"  # the English name alone
    category.save()
    assert "Village street lighting" in english() and "Village street lighting" not in indonesian()
    long_body = "Lampu jalan padam. " * 200
    Report.objects.filter(pk=feed_report.pk).update(body="Awal berbeda. " + long_body)
    assert "Awal berbeda." in indonesian()
    Report.objects.filter(pk=feed_report.pk).update(body="Awal lainnya. " + long_body)  # as long as the one before
    assert "Awal lainnya." in indonesian() and "Awal berbeda." not in indonesian()
    Report.objects.filter(pk=feed_report.pk).update(is_anonymous=True)
    assert "Pelapor: Anonim" in indonesian() and "Made" not in indonesian()
    Report.objects.filter(pk=feed_report.pk).update(is_confidential=True)
    assert "Lampu jalan" not in indonesian()


def test_an_anonim_card_never_shows_the_reporter_and_a_rahasia_report_leaves_the_feed(feed_report, citizen):
    assert "Pelapor: Made" in _feed()
    Report.objects.filter(pk=feed_report.pk).update(is_anonymous=True)
    html = _feed()
    assert "Pelapor: Anonim" in html and "Made" not in html
    Report.objects.filter(pk=feed_report.pk).update(is_anonymous=False)
    citizen.display_name = "Komang"
    citizen.save()
    assert "Pelapor: Komang" in _feed()
    Report.objects.filter(pk=feed_report.pk).update(is_confidential=True)
    for client in [_signed_in(citizen), Client()]:
        assert "Lampu jalan padam di Kuta" not in client.get(reverse("complaints:list")).content.decode()


def test_cards_are_kept_per_language(feed_report):
    # A category without an English name reads the same in both languages: the card's words must still differ.
    category = feed_report.category
    category.name_en = ""
    category.save()
    indonesian = Client().get("/laporan/").content.decode()
    english = Client().get("/en/laporan/").content.decode()
    status_id = re.search(r'<span class="badge status-[a-z_]+">([^<]+)</span>', indonesian).group(1)
    status_en = re.search(r'<span class="badge status-[a-z_]+">([^<]+)</span>', english).group(1)
    assert status_id != status_en
    assert "Pelapor: Made" in indonesian and "Pelapor:" not in english


def test_kept_cards_are_the_cards_rendered_in_full_and_rendered_once(feed_report, make_report, national_admin):
    published(make_report, national_admin, title="Sampah menumpuk di pasar", is_anonymous=True)
    kept = Client().get("/laporan/").content.decode()
    again = Client().get("/laporan/").content.decode()
    fragments.clear_local()
    full = Client().get("/laporan/").content.decode()
    squeeze = lambda html: re.sub(r"\s+", " ", _strip(html))  # noqa: E731
    assert squeeze(kept) == squeeze(again) == squeeze(full)
    assert len(fragments._cards.items) == 2


def test_the_feed_with_kept_cards_stays_free_of_n_plus_1(make_report, national_admin, django_assert_max_num_queries):
    for i in range(8):
        published(make_report, national_admin, title=f"Laporan nomor {i}")
    Client().get("/laporan/")
    with django_assert_max_num_queries(3):
        assert Client().get("/laporan/").status_code == 200
    fragments.clear_local()
    with django_assert_max_num_queries(3):
        assert Client().get("/laporan/").status_code == 200


def test_the_kept_filter_form_shows_each_visitors_values_language_and_reference_data(feed_report):
    blank = Client().get("/laporan/").content.decode()
    assert 'name="q" id="id_q" value=""' in blank and '<details class="mt-2">' in blank
    typed = Client().get("/laporan/?q=lampu&status=verified").content.decode()
    assert 'value="lampu"' in typed and '<details class="mt-2" open>' in typed
    assert '<option value="verified" selected>' in typed
    assert 'value="lampu"' not in Client().get("/laporan/?page=1").content.decode()
    other = Client().get("/laporan/?q=sampah").content.decode()
    assert 'value="sampah"' in other and 'value="lampu"' not in other
    english = Client().get("/en/laporan/?q=lampu&status=verified").content.decode()
    assert "Cari di judul dan isi" not in english and "Cari di judul dan isi" in typed
    category = feed_report.category.parent or feed_report.category
    category.name = "Prasarana jalan kampung"
    category.save()  # bumps the reference-data generation
    assert "Prasarana jalan kampung" in Client().get("/laporan/?q=lampu&status=verified").content.decode()


def test_the_kept_filter_form_is_the_form_rendered_in_full(feed_report, monkeypatch):
    urls = ["/laporan/", "/laporan/?q=lampu", "/laporan/?provinsi=51&dari=2026-13-01", "/en/laporan/?status=verified"]
    kept = [Client().get(url).content.decode() for url in urls + urls]
    monkeypatch.setattr(fragments.refcache, "generation", lambda: None)  # nothing kept: rendered in full
    full = [Client().get(url).content.decode() for url in urls]
    squeeze = lambda html: re.sub(r"\s+", " ", _strip(html))  # noqa: E731
    assert [squeeze(html) for html in kept] == [squeeze(html) for html in full + full]
    assert "invalid-feedback" in kept[2]


def test_a_filtered_feed_with_its_form_kept_offers_no_options_and_lists_what_matches(
    feed_report, make_report, national_admin, monkeypatch
):
    from complaints.filters import ReportFilter

    regency = Region.objects.filter(level="regency").exclude(parent=feed_report.province_id).order_by("code").first()
    other = regency.parent
    published(make_report, national_admin, title="Sampah menumpuk di pasar", province=other, regency=regency)
    url = f"/laporan/?klasifikasi=complaint&provinsi={feed_report.province_id}"
    first = _cards(url)()
    offered = []
    real = ReportFilter._offer_choices
    monkeypatch.setattr(ReportFilter, "_offer_choices", lambda self: offered.append(1) or real(self))
    assert _cards(url)() == first
    assert offered == []  # the form drawn from its kept copy: no select's options made
    assert "Lampu jalan padam di Kuta" in first and "Sampah menumpuk" not in first
    assert "Sampah menumpuk" in _cards(f"/laporan/?provinsi={other.pk}")() and offered == [1]  # a new form drawn


MAP_SECTION = re.compile(r'<section class="mb-3" aria-labelledby="report-map-heading".*?</section>', re.S)


def test_the_kept_map_section_is_drawn_in_full_for_each_filter_and_language(feed_report, monkeypatch):
    # The map reads its points with the page's filters: each query string keeps its own section, escaped.
    urls = ["/laporan/", "/laporan/?q=lampu", '/laporan/?q="><b>x', "/en/laporan/?status=verified", "/en/laporan/"]
    kept = [MAP_SECTION.search(Client().get(url).content.decode()).group() for url in urls + urls]
    monkeypatch.setattr(fragments, "_maps", fragments._Kept(0))  # nothing kept: drawn in full each time
    full = [MAP_SECTION.search(Client().get(url).content.decode()).group() for url in urls]
    assert kept == full + full
    assert 'data-points-url="/laporan/peta.json"' in kept[0] and "?q=lampu" in kept[1] and "?q=lampu" not in kept[0]
    assert "<b>" not in kept[2] and "q=%22%3E%3Cb%3Ex" in kept[2]
    assert 'data-points-url="/en/laporan/peta.json?status=verified"' in kept[3] and "Show the map" in kept[3]
    assert "Tampilkan peta" in kept[0] and "Tampilkan peta" not in kept[4]


def test_my_report_rows_show_each_change_and_only_to_their_reporter(
    make_report, citizen, other_citizen, national_admin, monkeypatch
):
    report = make_report(title="Air PDAM keruh di Denpasar")
    mine = _signed_in(citizen)
    first = mine.get(reverse("complaints:mine")).content.decode()
    assert "Air PDAM keruh di Denpasar" in first and "text-danger fw-bold" not in first
    assert _strip(mine.get(reverse("complaints:mine")).content.decode()) == _strip(first)
    workflow.verify(Report.objects.get(pk=report.pk), by=national_admin)
    verified = mine.get(reverse("complaints:mine")).content.decode()
    assert _strip(verified) != _strip(first)
    assert str(Status.VERIFIED.label) in verified
    # The running clock's countdown: once its due time has passed the row shows it late, nothing else changed.
    clock = Clock.objects.filter(report=report, stopped_at__isnull=True).exclude(state=Clock.State.PAUSED).first()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: clock.due_at + dt.timedelta(days=2))
    assert "text-danger fw-bold" in mine.get(reverse("complaints:mine")).content.decode()
    monkeypatch.setattr(timezone, "now", real_now)
    Report.objects.filter(pk=report.pk).update(title="Air PDAM keruh dan berbau di Denpasar")
    assert "Air PDAM keruh dan berbau di Denpasar" in mine.get(reverse("complaints:mine")).content.decode()
    Report.objects.filter(pk=report.pk).update(status=Status.IN_PROGRESS)
    assert str(Status.IN_PROGRESS.label) in mine.get(reverse("complaints:mine")).content.decode()
    assert "Air PDAM" not in _signed_in(other_citizen).get(reverse("complaints:mine")).content.decode()


def test_my_report_rows_are_kept_per_language(make_report, citizen):
    report = make_report(title="Jembatan retak di Sleman")
    # Nothing of the row in the language's words but the template's own: no public step, no running clock.
    Event.objects.filter(report=report).update(is_public=False)
    Clock.objects.filter(report=report).update(stopped_at=timezone.now())
    client = _signed_in(citizen)
    indonesian = client.get("/laporan/saya/").content.decode()
    english = client.get("/en/laporan/saya/").content.decode()
    assert "Instansi penangan" in indonesian and "Instansi penangan" not in english


def test_the_kept_comment_form_is_the_form_rendered_in_full(make_report, national_admin, other_citizen, monkeypatch):
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

    url = reverse("complaints:detail", args=[published(make_report, national_admin).tracking_no])
    client = _signed_in(other_citizen)
    kept = [client.get(url).content.decode(), client.get("/en" + url).content.decode()]
    monkeypatch.setattr(fragments, "crispy_form", as_crispy_form)
    full = [client.get(url).content.decode(), client.get("/en" + url).content.decode()]
    assert 'id="id_comment-body"' in kept[0]
    assert [_strip(html) for html in kept] == [_strip(html) for html in full]


def test_the_kept_comment_form_follows_the_language(make_report, national_admin, other_citizen):
    url = reverse("complaints:detail", args=[published(make_report, national_admin).tracking_no])
    client = _signed_in(other_citizen)
    form = lambda html: html.split('id="form-comment"', 1)[1].split("</form>", 1)[0]  # noqa: E731
    assert "Komentar" in form(client.get(url).content.decode())
    english = form(client.get("/en" + url).content.decode())
    assert "Comment" in english and "Komentar" not in english


def test_a_comment_with_an_error_keeps_its_text_and_is_never_kept(make_report, national_admin, other_citizen):
    url = reverse("complaints:detail", args=[published(make_report, national_admin).tracking_no])
    client = _signed_in(other_citizen)
    client.get(url)  # the blank form is kept
    typed = "Tanggapan saya " + "x" * 2000
    response = client.post(url + "komentar/", {"comment-body": typed})
    html = response.content.decode()
    assert response.status_code == 400 and "is-invalid" in html and typed in html
    html = client.get(url).content.decode()
    assert "is-invalid" not in html and "Tanggapan saya" not in html


def test_the_reporters_kept_action_forms_are_the_forms_rendered_in_full(
    make_report, national_admin, agency_admin, tree, citizen, monkeypatch
):
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

    from complaints.tests.portal import answered

    responded = answered(make_report, national_admin, agency_admin, tree)
    held = make_report(title="Perlu alamat")
    workflow.hold(held, by=national_admin, note="Sebutkan alamat lengkap.")
    closed = answered(make_report, national_admin, agency_admin, tree, title="Sudah selesai")
    workflow.accept(closed, by=citizen, rating=2)
    client = _signed_in(citizen)
    urls = [reverse("complaints:detail", args=[r.tracking_no]) for r in (responded, held, closed)]
    urls += ["/en" + url for url in urls]
    kept = [client.get(url).content.decode() for url in urls + urls]
    monkeypatch.setattr(fragments, "crispy_form", as_crispy_form)
    full = [client.get(url).content.decode() for url in urls]
    assert [_strip(html) for html in kept] == [_strip(html) for html in full + full]
    for form_id, field in [
        ("form-reply", "reply-note"),
        ("form-provide-info", "info-note"),
        ("form-reopen", "reopen-reason"),
    ]:
        assert sum(f'id="{form_id}"' in html and f'name="{field}"' in html for html in kept) == 4, form_id
    assert "Kirim balasan" in kept[0] and "Kirim balasan" not in kept[3] and "Send reply" in kept[3]


def test_a_reply_with_an_error_keeps_its_text_and_is_never_kept(
    make_report, national_admin, agency_admin, tree, citizen
):
    from complaints.tests.portal import answered

    report = answered(make_report, national_admin, agency_admin, tree)
    url = reverse("complaints:detail", args=[report.tracking_no])
    client = _signed_in(citizen)
    client.get(url)  # the blank reply form is kept
    from django.core.files.uploadedfile import SimpleUploadedFile

    typed = "Lubangnya masih ada di depan rumah nomor 12"
    bad = SimpleUploadedFile("skrip.png", b"<script>alert(1)</script>", content_type="image/png")
    response = client.post(url + "balas/", {"reply-note": typed, "reply-attachments": [bad]})
    html = response.content.decode()
    assert response.status_code == 400 and typed in html and "skrip.png" in html
    assert typed not in client.get(url).content.decode()


def test_a_visitor_offered_no_action_builds_no_action_form(make_report, national_admin, other_citizen, monkeypatch):
    from complaints import citizen_forms

    built = []
    for name in ("ProvideInfoForm", "ReplyForm", "AcceptForm", "ReopenForm"):
        real = getattr(citizen_forms, name)
        monkeypatch.setattr(
            real, "__init__", lambda self, *a, _real=real.__init__, **kw: built.append(1) or _real(self, *a, **kw)
        )
    url = reverse("complaints:detail", args=[published(make_report, national_admin).tracking_no])
    assert 'id="form-comment"' in _signed_in(other_citizen).get(url).content.decode()
    assert built == []


def test_cards_read_only_the_columns_they_load(
    make_report, national_admin, agency_admin, tree, citizen, django_assert_max_num_queries
):
    """The feed, search and home page read Report.objects.for_cards() (CARD_FIELDS): cards rendered in
    full — named, Anonim, entered by staff, with and without an agency — cost no query of their own (a
    field left out would be fetched card by card): three more such cards, not one query more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cards(n):
        named = published(make_report, national_admin, title=f"Jalan rusak {n} bernama")
        published(make_report, national_admin, title=f"Jalan rusak {n} anonim", is_anonymous=True)
        entered = published(make_report, national_admin, title=f"Jalan rusak {n} dicatat")
        Report.objects.filter(pk=entered.pk).update(entered_by=agency_admin, reporter_name="Wayan Sudira")
        workflow.dispatch(named, by=national_admin, to_agency=tree["badung"])

    pages = [
        (client, url) for client in (Client(), _signed_in(citizen)) for url in ("/laporan/", "/laporan/?q=jalan", "/")
    ]
    cards(1)
    counts = []
    for client, url in pages:
        client.get(url)
        fragments.clear_local()
        with CaptureQueriesContext(connection) as queries:
            assert "Jalan rusak 1 bernama" in client.get(url).content.decode()
        counts.append(len(queries))
    cards(2)
    for (client, url), count in zip(pages, counts, strict=True):
        fragments.clear_local()
        with django_assert_max_num_queries(count):
            html = client.get(url).content.decode()
        assert "Jalan rusak 2 bernama" in html and "Jalan rusak 1 dicatat" in html
    feed = Client().get("/laporan/").content.decode()
    assert "Pelapor: Anonim" in feed and "Pelapor: Wayan" in feed and "Pemerintah Kabupaten Badung" in feed


def _latest(client, path="/") -> str:
    """The home page's "latest reports" list."""
    html = client.get(path).content.decode()
    start = html.index('<div class="list-group mb-4">')
    return html[start : html.index("<footer", start)]


def test_a_latest_row_on_the_home_page_shows_each_change_at_once(feed_report, citizen, national_admin, tree):
    client = _signed_in(citizen)  # a signed-in citizen's home is always rendered
    assert "Lampu jalan padam di Kuta" in _latest(client)
    Report.objects.filter(pk=feed_report.pk).update(title="Lampu jalan mati total di Kuta")
    assert "Lampu jalan mati total di Kuta" in _latest(client)
    Report.objects.filter(pk=feed_report.pk).update(classification="information")
    assert "Permintaan Informasi" in _latest(client)
    workflow.dispatch(Report.objects.get(pk=feed_report.pk), by=national_admin, to_agency=tree["badung"])
    assert str(Status.DISPATCHED.label) in _latest(client)
    regency = Region.objects.filter(level="regency").exclude(pk=feed_report.regency_id).order_by("code").first()
    Report.objects.filter(pk=feed_report.pk).update(regency=regency)
    assert regency.name in _latest(client)
    Report.objects.filter(pk=feed_report.pk).update(is_confidential=True)
    assert "Lampu jalan mati total di Kuta" not in _latest(client)


def test_latest_rows_on_the_home_page_are_kept_per_language(feed_report, citizen):
    # A category without an English name reads the same in both languages: the row's words must still differ.
    category = feed_report.category
    category.name_en = ""
    category.save()
    client = _signed_in(citizen)
    indonesian, english = _latest(client), _latest(client, "/en/")
    status_id = re.search(r'<span class="badge status-[a-z_]+">([^<]+)</span>', indonesian).group(1)
    status_en = re.search(r'<span class="badge status-[a-z_]+">([^<]+)</span>', english).group(1)
    assert status_id != status_en
    assert _latest(client) == indonesian


def test_kept_latest_rows_are_the_rows_rendered_in_full_and_rendered_once(
    feed_report, make_report, national_admin, citizen
):
    published(make_report, national_admin, title="Sampah menumpuk di pasar", is_anonymous=True)
    client = _signed_in(citizen)
    fragments.clear_local()
    kept, again = _latest(client), _latest(client)
    assert len(fragments._cards.items) == 2
    fragments.clear_local()
    full = _latest(client)
    squeeze = lambda html: re.sub(r"\s+", " ", _strip(html))  # noqa: E731
    assert squeeze(kept) == squeeze(again) == squeeze(full)
    assert "Sampah menumpuk di pasar" in kept and "Lampu jalan padam di Kuta" in kept


@pytest.mark.parametrize("path", ["/", "/laporan/"])
def test_a_kept_row_makes_no_report_from_its_row(feed_report, make_report, national_admin, citizen, monkeypatch, path):
    # The home page's latest rows and the feed's cards are kept under their rows (fragments.CardRows).
    published(make_report, national_admin, title="Sampah menumpuk di pasar")
    client = _signed_in(citizen)
    client.get(path)
    made = []
    real = Report.from_db.__func__
    monkeypatch.setattr(Report, "from_db", classmethod(lambda cls, *a: made.append(1) or real(cls, *a)))
    html = client.get(path).content.decode()
    assert "Sampah menumpuk di pasar" in html and "Lampu jalan padam di Kuta" in html
    assert made == []
    Report.objects.filter(pk=feed_report.pk).update(title="Lampu jalan mati total di Kuta")
    assert "Lampu jalan mati total di Kuta" in client.get(path).content.decode()
    assert made == [1]  # the changed row's only


def test_a_latest_row_shows_its_categorys_new_name_in_each_language(feed_report, citizen):
    client = _signed_in(citizen)
    _latest(client), _latest(client, "/en/")
    category = Category.objects.get(pk=feed_report.category_id)
    category.name, category.name_en = "Penerangan jalan kampung", "Village street lighting"
    category.save()  # bumps the reference-data generation (lapor.apps)
    assert "Penerangan jalan kampung" in _latest(client)
    english = _latest(client, "/en/")
    assert "Village street lighting" in english and "Penerangan jalan kampung" not in english
    category.name_en = "Kampong street lights"  # the English name alone
    category.save()
    assert "Kampong street lights" in _latest(client, "/en/") and "Kampong" not in _latest(client)
    assert "Kampong street lights" in _cards("/en/laporan/")()


def _pagination(url) -> str:
    html = Client().get(url).content.decode()
    start = html.index('<ul class="pagination')
    return html[start : html.index("</ul>", start)]


def test_the_kept_pagination_shows_each_pages_number_neighbours_query_and_language(
    make_report, national_admin, monkeypatch
):
    monkeypatch.setattr("complaints.views.FEED_PAGES_PREPARED", 2)  # pages 3 and 4 by the ORM, as a filtered feed
    for i in range(76):
        published(make_report, national_admin, title=f"Laporan nomor {i}")
    urls = ["/laporan/", "/laporan/?page=2", "/laporan/?page=3", "/laporan/?page=4", "/en/laporan/?page=2"]
    kept = {url: _pagination(url) for url in urls}
    again = {url: _pagination(url) for url in kept}
    fragments.clear_local()
    full = {url: _pagination(url) for url in kept}
    assert kept == again == full
    assert "Halaman 1" in kept["/laporan/"] and 'rel="prev"' not in kept["/laporan/"]
    assert 'href="?page=3"' in kept["/laporan/?page=2"] and 'href="?page=1"' in kept["/laporan/?page=2"]
    assert 'href="?page=4"' in kept["/laporan/?page=3"] and "Halaman 3" in kept["/laporan/?page=3"]
    assert 'rel="next"' not in kept["/laporan/?page=4"] and "Halaman 4" in kept["/laporan/?page=4"]
    assert "Next" in kept["/en/laporan/?page=2"] and "Berikutnya" not in kept["/en/laporan/?page=2"]
    # The filters' query string goes into the links: each visitor's own.
    filtered = _pagination("/laporan/?klasifikasi=complaint&page=2")
    assert 'href="?klasifikasi=complaint&amp;page=3"' in filtered
    assert "klasifikasi" not in _pagination("/laporan/?page=2")


@pytest.mark.parametrize(
    "body",
    [
        "{{ user.email }}",
        "{% translate greeting %}",
        "{% translate 'Halo'|upper %}",
        "{% url 'complaints:detail' report.tracking_no %}",
        "{% if user.is_authenticated %}Halo{% endif %}",
        "{% static path %}",
        "{% include 'includes/_messages.html' %}",
    ],
)
def test_a_kept_part_refuses_anything_read_from_the_context(body):
    from django.template import TemplateSyntaxError, engines

    with pytest.raises(TemplateSyntaxError, match="kept"):
        engines["django"].from_string("{% load i18n static complaints %}{% kept %}<p>" + body + "</p>{% endkept %}")


def test_kept_parts_are_drawn_in_full_in_each_language_and_url_prefix(db, citizen, monkeypatch):
    from django.template import engines

    part = engines["django"].from_string(
        "{% load i18n static complaints %}{% kept %}{% translate 'Lacak laporan' %} {% url 'complaints:track' %} "
        "{% static 'js/lapor.js' %}{% endkept %}"
    )
    with translation.override("id"):
        assert part.render({}) == "Lacak laporan /laporan/lacak/ /static/js/lapor.js"
    with translation.override("en"):
        assert part.render({}).startswith("Track a report /en/laporan/lacak/")
    set_script_prefix("/portal/")
    try:
        with translation.override("id"):
            assert part.render({}).startswith("Lacak laporan /portal/laporan/lacak/")
    finally:
        set_script_prefix("/")
    urls = ["/", "/en/", "/laporan/", "/en/laporan/", "/laporan/baru/", "/en/laporan/baru/"]
    visitors = [Client(), _signed_in(citizen)]
    kept = [_strip(visitor.get(url).content.decode()) for url in urls for visitor in visitors]
    monkeypatch.setattr(fragments, "_words", fragments._Kept(0))  # nothing kept: drawn in full each time
    full = [_strip(visitor.get(url).content.decode()) for url in urls for visitor in visitors]
    assert kept == full
    assert "Alur laporan" in kept[0] and "Alur laporan" not in kept[2] and "SP4N" in kept[5]
    # base.html's head links and skip link are kept parts too
    assert "Langsung ke isi" in kept[1] and "Skip to content" in kept[3] and "/static/css/site.min.css" in kept[3]
