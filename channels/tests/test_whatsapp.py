"""WhatsApp end to end: the real webhook view and adapter against a fake Cloud API on loopback."""

import json

import pytest
from django.urls import reverse

from channels.fakes import sign, whatsapp_payload, whatsapp_status_payload
from channels.models import Message
from channels.tests.staff import verify_and_answer_in_admin
from complaints.models import Channel, Report, Status

from .conftest import WA_SECRET

CITIZEN = "6281234500001"
RUN = None
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _commits(committed):
    global RUN
    RUN = committed


def post(client, payload, secret=WA_SECRET):
    body = json.dumps(payload).encode()
    return RUN(
        client.post,
        reverse("channels:whatsapp"),
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(secret, body)},
    )


def say(client, text, message_id, **kwargs):
    response = post(client, whatsapp_payload(CITIZEN, text, message_id=message_id, name="Wayan", **kwargs))
    assert response.status_code == 200, response.content
    return response


def test_verification_handshake(client, whatsapp):
    url = reverse("channels:whatsapp")
    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "12345"})
    assert ok.status_code == 200 and ok.content == b"12345"
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "12345"})
    assert wrong.status_code == 403


def test_unsigned_or_badly_signed_posts_are_refused(client, whatsapp):
    payload = whatsapp_payload(CITIZEN, "Jalan rusak di Kabupaten Badung sejak lama", message_id="wamid.X1")
    assert post(client, payload, secret="not-the-secret").status_code == 403
    assert client.post(reverse("channels:whatsapp"), payload, content_type="application/json").status_code == 403
    assert not Message.objects.exists()


def test_off_until_configured(client):
    payload = whatsapp_payload(CITIZEN, "halo", message_id="wamid.X2")
    assert post(client, payload).status_code == 404


def test_citizen_files_follows_and_accepts_by_whatsapp(client, whatsapp, tree, national_admin, agency_admin):
    # One free-text message without a region: LAPOR asks for it.
    say(client, "Lampu jalan di depan pasar mati sudah dua minggu, gelap sekali", "wamid.A1")
    assert not Report.objects.exists()
    assert "kabupaten/kota mana" in whatsapp.texts(CITIZEN)[-1]

    # The answer names the regency: the report is filed and the tracking number comes back.
    say(client, "Badung", "wamid.A2")
    report = Report.objects.get()
    assert report.channel == Channel.WHATSAPP
    assert report.regency.name == "Kabupaten Badung"
    assert report.body.startswith("Lampu jalan di depan pasar mati")
    assert report.reporter_contact == CITIZEN
    assert report.tracking_no in whatsapp.texts(CITIZEN)[-1]

    # A redelivery of both messages files nothing twice and answers nothing twice.
    sent = len(whatsapp.sent)
    say(client, "Lampu jalan di depan pasar mati sudah dua minggu, gelap sekali", "wamid.A1")
    say(client, "Badung", "wamid.A2")
    assert Report.objects.count() == 1 and len(whatsapp.sent) == sent

    # Staff verify, dispatch and answer in the admin; each public step reaches the citizen.
    verify_and_answer_in_admin(
        client, RUN, report, tree, national_admin, agency_admin, "Lampu sudah diganti petugas kemarin."
    )
    texts = whatsapp.texts(CITIZEN)
    assert any("diverifikasi" in t for t in texts)
    assert any("Lampu sudah diganti petugas kemarin." in t and "TERIMA" in t for t in texts)

    # The citizen accepts with a rating by replying.
    say(client, "TERIMA 5 terima kasih", "wamid.A3")
    report.refresh_from_db()
    assert report.status == Status.COMPLETED and report.rating == 5
    assert "penilaian 5" in whatsapp.texts(CITIZEN)[-1]

    # The admin page shows the conversation with delivery states.
    page = client.get(reverse("admin:complaints_report_change", args=[report.pk]))
    assert b"channel-conversation" in page.content and b"TERIMA 5" in page.content


def test_delivery_statuses_update_the_outbound_message(client, whatsapp, tree):
    say(client, "Sampah menumpuk di Kota Denpasar tidak diangkut seminggu", "wamid.S1")
    out = Message.objects.filter(direction="out").get()
    assert out.state == "sent" and out.provider_id.startswith("wamid.FAKE")
    post(client, whatsapp_status_payload(out.provider_id, "delivered", CITIZEN))
    out.refresh_from_db()
    assert out.state == "delivered"
    post(client, whatsapp_status_payload(out.provider_id, "read", CITIZEN))
    post(client, whatsapp_status_payload(out.provider_id, "delivered", CITIZEN))  # late: never backwards
    out.refresh_from_db()
    assert out.state == "read"


def test_image_message_becomes_an_attachment(client, whatsapp, tree):
    """A WhatsApp photo is fetched from the Cloud API and passes the web upload's checks: the public
    copy carries no location, an Anonim reporter's photo no metadata at all."""
    from complaints.tests.test_attachment_metadata import assert_clean, has_gps, photo_bytes

    whatsapp.media["MEDIA1"] = ("image/jpeg", photo_bytes())
    say(client, "Jalan berlubang besar di Kabupaten Sleman membahayakan motor", "wamid.I1", image="MEDIA1")
    report = Report.objects.get()
    attachment = report.attachments.get()
    assert attachment.content_type == "image/jpeg"
    with attachment.public_file.open("rb") as fh:
        assert not has_gps(fh.read())

    whatsapp.media["MEDIA2"] = ("image/jpeg", photo_bytes())
    Report.objects.update(status=Status.COMPLETED)  # the first conversation is over
    say(client, "ANONIM Pungli di kantor kelurahan Kabupaten Badung saat urus KTP", "wamid.I3", image="MEDIA2")
    anonymous = Report.objects.get(is_anonymous=True).attachments.get()
    with anonymous.file.open("rb") as fh:
        assert_clean(fh.read(), "image/jpeg")


def test_refused_image_is_explained_and_the_text_kept(client, whatsapp, tree, settings):
    from complaints.tests.test_attachment_metadata import photo_bytes

    settings.LAPOR_IMAGE_MAX_PIXELS = 1000  # the photo has 40×30 pixels
    whatsapp.media["BIG"] = ("image/png", photo_bytes("PNG"))
    say(client, "Sampah menumpuk di Kota Denpasar tidak diangkut", "wamid.R1", image="BIG")
    report = Report.objects.get()
    assert report.attachments.count() == 0
    texts = whatsapp.texts(CITIZEN)
    assert any("tidak dapat kami terima" in t and "megapiksel" in t for t in texts)
    assert report.tracking_no in texts[-1]


def test_english_writer_gets_english_answers(client, whatsapp, tree):
    say(client, "The street light is broken and the road is dark at night", "wamid.E1")
    assert "Which regency or city" in whatsapp.texts(CITIZEN)[-1]
