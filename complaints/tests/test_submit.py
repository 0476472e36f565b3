"""The citizen's report form: laporan/baru/."""

import datetime as dt
import io
import re
from smtplib import SMTPException

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from accounts.models import User
from agencies.models import Agency
from complaints import notifications, routing_model, workflow
from complaints.forms import ReportForm
from complaints.models import Category, Notification, Report
from lapor import celery_app
from lapor.broker import DirectTask

URL = "/laporan/baru/"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Rate-limit counters in a cache of this test's own (never clear a shared Redis)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "submit"}}
    cache.clear()
    yield
    translation.activate(settings.LANGUAGE_CODE)  # a request to /en/ leaves English active in this thread


@pytest.fixture
def eager_celery():
    """Mail tasks run in-process, even when REDIS_URL is set."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def png(name="foto.png"):
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def fake(name="virus.jpg"):
    return SimpleUploadedFile(name, b"MZ\x90\x00 this is not a picture", content_type="image/jpeg")


@pytest.fixture
def category(db):
    return Category.objects.get(code="kesehatan-puskesmas")


@pytest.fixture
def data(db, category):
    return {
        "classification": "complaint",
        "title": "Antrean puskesmas sangat lama",
        "body": "Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan.",
        "event_date": "2026-01-05",
        "province": "51",
        "regency": "51.03",
        "district": "Kuta",
        "category": str(category.pk),
        "submission_key": "form-token-1",
    }


def _field_error(html: str, tag: str, field: str) -> bool:
    element = re.search(rf'<{tag}[^>]*name="{field}"[^>]*>', html).group(0)
    return 'aria-invalid="true"' in element and f"id_{field}_error" in element and f'id="id_{field}_error"' in html


def test_form_is_open_to_visitors_and_every_field_is_labelled(client, db):
    html = client.get(URL).content.decode()
    for field in [
        "title",
        "body",
        "event_date",
        "province",
        "regency",
        "place_q",
        "kecamatan",
        "kelurahan",
        "district",
        "category",
        "agency_q",
        "agency",
        "attachments",
        "is_anonymous",
        "is_confidential",
    ]:
        assert f'for="id_{field}"' in html, field
    assert "Pengaduan" in html and "Aspirasi" in html and "Permintaan Informasi" in html
    assert '<optgroup label="Bali">' in html  # regencies grouped by province: works without JavaScript
    assert 'name="submission_key"' in html
    # No raw coordinate boxes: the map pin sets hidden inputs.
    assert '<input type="hidden" name="latitude"' in html and '<input type="hidden" name="longitude"' in html
    assert "Lintang (opsional)" not in html


def test_report_form_helper_renders_for_the_home_page(rf, db):
    from django.template.loader import render_to_string

    html = render_to_string("complaints/_report_form.html", {"report_form": ReportForm()}, request=rf.get("/"))
    assert 'action="/laporan/baru/"' in html and 'enctype="multipart/form-data"' in html


def test_submit_files_a_report_with_attachments(client, citizen, data):
    client.force_login(citizen)
    response = client.post(URL, {**data, "attachments": [png("a.png"), png("b.png")], "is_anonymous": "on"})
    report = Report.objects.get()
    assert response["Location"] == reverse("complaints:submitted", args=[report.tracking_no])
    assert report.reporter == citizen and report.is_anonymous and not report.is_confidential
    assert report.regency_id == "51.03" and report.district == "Kuta"
    # Anonymous: the names the reporter gave the files are not kept (they may name the person).
    assert sorted(report.attachments.values_list("original_name", flat=True)) == sorted(
        f"lampiran-{pk}.png" for pk in report.attachments.values_list("pk", flat=True)
    )  # both sorted as text: ids 99 and 100 sort differently as numbers
    page = client.get(response["Location"]).content.decode()
    assert report.tracking_no in page and "3 hari kerja" in page


def test_submit_sends_the_confirmation_mail(client, citizen, data, django_capture_on_commit_callbacks, eager_celery):
    client.force_login(citizen)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, data)
    report = Report.objects.get()
    mine = [m for m in mail.outbox if m.to == [citizen.email]]
    assert len(mine) == 1
    assert report.tracking_no in mine[0].body


def test_a_submission_queues_one_message_with_its_mails_and_its_routing_suggestion(
    client, citizen, agency_admin, data, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(DirectTask, "delay", lambda task, *args: queued.append((task.name, args)))
    client.force_login(citizen)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, data)
    report = Report.objects.get()
    rows = sorted(Notification.objects.filter(report=report).values_list("pk", flat=True))
    assert len(rows) == 2  # the citizen's receipt and the agency admin's new report
    assert [(name, (args[0], sorted(args[1]))) for name, args in queued] == [
        ("complaints.tasks.report_arrived", (report.pk, rows))
    ]


def test_a_failing_mail_does_not_hold_back_the_routing_suggestion(make_report, monkeypatch):
    report = make_report()
    suggested = []
    monkeypatch.setattr(routing_model, "suggest_on_arrival", suggested.append)

    def refused(*args, **kwargs):
        raise SMTPException("refused")

    monkeypatch.setattr(notifications, "send_mail", refused)
    ids = list(Notification.objects.filter(report=report).values_list("pk", flat=True))
    with pytest.raises(SMTPException):
        workflow.report_arrived(report.pk, ids)  # the task retries the whole: both steps are idempotent
    assert suggested == [report.pk]
    assert not Notification.objects.filter(pk__in=ids, email_sent_at__isnull=False).exists()


def test_double_submit_files_one_report(client, citizen, data):
    client.force_login(citizen)
    first = client.post(URL, data)
    second = client.post(URL, data)
    assert Report.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_replayed_token_from_another_account_files_its_own_report(client, citizen, other_citizen, data):
    client.force_login(citizen)
    client.post(URL, data)
    client.force_login(other_citizen)
    response = client.post(URL, data)
    mine = Report.objects.get(reporter=other_citizen)
    assert response["Location"] == reverse("complaints:submitted", args=[mine.tracking_no])
    assert Report.objects.count() == 2


def test_success_page_is_only_for_the_reporter(client, citizen, other_citizen, data):
    client.force_login(citizen)
    location = client.post(URL, data)["Location"]
    client.force_login(other_citizen)
    assert client.get(location).status_code == 404


def test_future_event_date_is_refused_and_the_rest_kept(client, citizen, data):
    client.force_login(citizen)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(URL, {**data, "event_date": tomorrow.isoformat()})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Tanggal kejadian tidak boleh di masa depan" in html
    assert _field_error(html, "input", "event_date")
    assert 'value="Antrean puskesmas sangat lama"' in html
    assert "Saya menunggu lima jam" in html
    assert not Report.objects.exists()


def test_regency_outside_the_province_is_refused(client, citizen, data):
    client.force_login(citizen)
    response = client.post(URL, {**data, "province": "34"})  # DI Yogyakarta, with Badung
    html = response.content.decode()
    assert "Kabupaten Badung tidak berada di Provinsi" in html
    assert _field_error(html, "select", "regency")
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [("12", "115", "Lintang harus di antara"), ("-8.6", "170", "Bujur harus di antara")],
)
def test_map_point_is_range_checked(client, citizen, data, lat, lon, message):
    client.force_login(citizen)
    html = client.post(URL, {**data, "latitude": lat, "longitude": lon}).content.decode()
    assert message in html
    assert not Report.objects.exists()


def test_half_a_pin_is_no_pin(client, citizen, data):
    client.force_login(citizen)
    client.post(URL, {**data, "latitude": "-8.6", "longitude": ""})
    report = Report.objects.get()
    assert report.latitude is None and report.longitude is None


def test_map_point_is_stored(client, citizen, data):
    client.force_login(citizen)
    client.post(URL, {**data, "latitude": "-8.7234567", "longitude": "115.1712"})
    report = Report.objects.get()
    assert str(report.latitude) == "-8.723457" and str(report.longitude) == "115.171200"


def test_bad_file_is_named_and_the_rest_of_the_form_kept(client, citizen, data):
    client.force_login(citizen)
    response = client.post(URL, {**data, "attachments": [png("bagus.png"), fake("virus.jpg")]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Berkas “virus.jpg” bukan gambar" in html
    assert _field_error(html, "input", "attachments")
    assert 'value="Antrean puskesmas sangat lama"' in html
    notice = html[html.index('id="reattach-notice"') :]
    assert "bagus.png" in notice and "virus.jpg" in notice  # both must be chosen again
    assert not Report.objects.exists()


def test_oversized_file_is_refused(client, citizen, data, settings):
    settings.LAPOR_ATTACHMENT_MAX_BYTES = 10
    client.force_login(citizen)
    html = client.post(URL, {**data, "attachments": [png("besar.png")]}).content.decode()
    assert "Berkas “besar.png” berukuran" in html
    assert not Report.objects.exists()


def test_rate_limit_per_account_keeps_the_form(client, citizen, data, settings):
    settings.LAPOR_SUBMIT_RATE_USER = (2, 600)
    client.force_login(citizen)
    for n in range(2):
        assert client.post(URL, {**data, "submission_key": f"k{n}"}).status_code == 302
    response = client.post(URL, {**data, "submission_key": "k3"})
    html = response.content.decode()
    assert response.status_code == 429
    assert "Tunggu beberapa menit" in html
    assert 'value="Antrean puskesmas sangat lama"' in html
    assert Report.objects.count() == 2
    # A resubmission of a report already filed is not a new submission.
    assert client.post(URL, {**data, "submission_key": "k0"}).status_code == 302


def test_rate_limit_per_ip_address(client, citizen, other_citizen, data, settings):
    settings.LAPOR_SUBMIT_RATE_IP = (1, 3600)
    client.force_login(citizen)
    client.post(URL, data)
    client.force_login(other_citizen)
    assert client.post(URL, {**data, "submission_key": "other"}).status_code == 429
    assert client.post(URL, {**data, "submission_key": "other"}, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_behind_the_trusted_proxy_each_citizen_is_counted_at_their_own_address(
    client, citizen, other_citizen, data, settings
):
    """nginx connects from 127.0.0.1 for everyone: the address that counts is the one it forwards."""
    settings.LAPOR_SUBMIT_RATE_IP = (1, 3600)
    settings.LAPOR_TRUSTED_PROXIES = ["127.0.0.1"]
    client.force_login(citizen)
    assert client.post(URL, data, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 302
    client.force_login(other_citizen)
    other = {**data, "submission_key": "other"}
    assert client.post(URL, other, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302
    # A header written by the client itself (left of what nginx saw) buys no fresh address.
    third = {**data, "submission_key": "third"}
    assert client.post(URL, third, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.2").status_code == 429


def test_a_carrier_nat_does_not_trip_the_address_limit(client, data, settings):
    """Many citizens behind one carrier address, each filing a few reports, are never refused by default."""
    for n in range(12):
        person = User.objects.create_user(f"nat{n}@example.test", "x", full_name=f"Warga {n}")
        client.force_login(person)
        for k in range(3):
            assert (
                client.post(URL, {**data, "submission_key": f"{n}-{k}"}, REMOTE_ADDR="114.124.0.1").status_code == 302
            )
    assert Report.objects.count() == 36


def test_submission_uses_the_default_routing_unless_the_citizen_chose(client, citizen, data, tree):
    client.force_login(citizen)
    client.post(URL, data)
    client.post(URL, {**data, "submission_key": "chosen", "agency": str(tree["sleman"].pk)})
    routed, chosen = Report.objects.order_by("pk")
    assert routed.agency == routed.suggested_agency == tree["dinkes"]  # routing.csv: Puskesmas in Badung
    assert chosen.agency == chosen.suggested_agency == tree["sleman"]


def test_agency_search_endpoint_is_limited(client, db):
    national = Agency.objects.get(code="kemenpanrb")
    for n in range(25):
        Agency.objects.create(code=f"dinas-uji-{n}", name=f"Dinas Uji {n}", kind="opd", parent=national)
    results = client.get(reverse("complaints:agency_search"), {"q": "dinas uji"}).json()["results"]
    assert len(results) == 20
    assert client.get(reverse("complaints:agency_search"), {"q": "badung"}).json()["results"][0]["name"] == (
        "Pemerintah Kabupaten Badung"
    )
    assert client.get(reverse("complaints:agency_search"), {"q": ""}).json() == {"results": []}


def test_agency_search_without_javascript_narrows_the_select(client, citizen, data):
    client.force_login(citizen)
    response = client.post(URL, {**data, "agency_q": "kesehatan badung", "search_agency": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert not Report.objects.exists()
    assert "Dinas Kesehatan Kabupaten Badung</option>" in html
    assert "Pemerintah Kabupaten Sleman</option>" not in html
    assert 'value="Antrean puskesmas sangat lama"' in html
    assert 'value="form-token-1"' in html
    assert "is-invalid" not in html  # a search is not a failed submission


def test_draft_survives_the_login_detour(client, citizen, data):
    response = client.post(URL, {**data, "attachments": [png("bukti.png")], "is_confidential": "on"})
    assert response["Location"] == "/akun/masuk/?next=%2Flaporan%2Fbaru%2F"
    assert not Report.objects.exists()
    login_page = client.get(response["Location"]).content.decode()
    assert "Berkas lampiran tidak ikut tersimpan" in login_page
    login = client.post("/akun/masuk/", {"username": "081234567890", "password": "lapor-test", "next": URL})
    assert login["Location"] == URL
    html = client.get(URL).content.decode()
    assert 'value="Antrean puskesmas sangat lama"' in html
    assert "Saya menunggu lima jam" in html
    assert 'value="2026-01-05"' in html
    assert '<option value="51.03" selected>' in html
    assert re.search(r'name="is_confidential"[^>]*checked', html)
    assert "bukti.png" in html[html.index('id="reattach-notice"') :]
    client.post(
        URL,
        {
            **data,
            "is_confidential": "on",
            "submission_key": re.search(r'name="submission_key" value="([^"]+)"', html).group(1),
        },
    )
    assert Report.objects.get().is_confidential
    assert "report_draft" not in client.session


def test_draft_survives_registration(client, data, mailoutbox):
    client.post(URL, {**data, "title": "Judul dari pengunjung baru"})
    register = client.get("/akun/masuk/?next=/laporan/baru/").content.decode()
    assert "/akun/daftar/?next=/laporan/baru/" in register
    response = client.post(
        "/akun/daftar/?next=/laporan/baru/",
        {
            "full_name": "Warga Baru",
            "email": "baru@example.test",
            "phone": "081300001111",
            "password1": "sandi-kuat-sekali",
            "password2": "sandi-kuat-sekali",
            "next": "/laporan/baru/",
        },
    )
    # Not signed in before the address is verified; the link (opened in this browser) leads back.
    assert response["Location"] == "/akun/daftar/terkirim/"
    link = re.search(r"https?://\S+/akun/verifikasi/\S+/", mailoutbox[-1].body).group(0)
    assert client.get(link)["Location"] == URL
    html = client.get(URL).content.decode()
    assert 'value="Judul dari pengunjung baru"' in html


def test_anonymous_reporters_photos_lose_their_gps_metadata(client, citizen, data):
    exif = Image.Exif()
    exif[0x8825] = {2: (8.0, 39.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, format="JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(0x8825)
    client.force_login(citizen)
    upload = SimpleUploadedFile("gps.jpg", out.getvalue(), content_type="image/jpeg")
    client.post(URL, {**data, "is_anonymous": "on", "attachments": [upload]})
    stored = Report.objects.get().attachments.get()
    with stored.file.open("rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        assert not image.getexif().get_ifd(0x8825)
        assert image.size == (8, 8)


def test_a_restored_draft_can_be_discarded(client, citizen, data):
    client.post(URL, data)
    client.force_login(citizen)
    assert "Kosongkan formulir" in client.get(URL).content.decode()
    assert client.post(URL, {"discard_draft": "1"})["Location"] == URL
    html = client.get(URL).content.decode()
    assert "Antrean puskesmas" not in html and "Kosongkan formulir" not in html
    assert not Report.objects.exists()


def test_categories_follow_the_interface_language(client, db):
    assert "Pelayanan Puskesmas" in client.get(URL).content.decode()
    assert "Community health centre services" in client.get("/en" + URL).content.decode()


@pytest.mark.parametrize("logged_in", [False, True])
def test_form_page_query_count_is_fixed(client, citizen, tree, django_assert_max_num_queries, logged_in):
    if logged_in:
        client.force_login(citizen)
    # session, user, regions, categories, the unread-notifications badge (nothing for the agency list)
    with django_assert_max_num_queries(6 if logged_in else 3):
        assert client.get(URL).status_code == 200


def test_agency_search_without_javascript_is_limited_too(client, db):
    """The select never lists the whole agency tree: empty until a search, at most 20 after one."""
    national = Agency.objects.get(code="kemenpanrb")
    for n in range(30):
        Agency.objects.create(code=f"uji-{n}", name=f"Kantor Uji {n}", kind="opd", parent=national)
    html = client.post(URL, {"agency_q": "kantor uji", "search_agency": "1"}).content.decode()
    select = html[html.index('name="agency"') : html.index("</select>", html.index('name="agency"'))]
    assert select.count("<option") == 21  # the "let LAPOR! choose" option and 20 results
