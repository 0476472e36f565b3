"""Files never tell who or where: an Anonim reporter's photo (EXIF GPS and author, XMP) and PDF
(/Author, XMP) come out clean on every download URL to every role — through upload and through
verification-time anonymisation; public images lose their location; a file that cannot be cleaned
is withheld and its reporter told."""

import io

import pikepdf
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image

from agencies.models import Membership
from api.models import ApiKey
from complaints import workflow
from complaints.models import Attachment, Notification
from complaints.uploads import check_upload

from .portal import close_response, pdf_bytes

NAME = b"Budi Santoso"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Budi Santoso</dc:creator>'
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def photo_bytes(fmt="JPEG", size=(40, 30)) -> bytes:
    """A photo with the reporter's name (EXIF Artist, XMP) and where it was taken (EXIF GPS)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Budi Santoso"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (8.0, 39.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (115.0, 13.0, 0.0),
    }
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, format=fmt, exif=exif, xmp=XMP)
    return out.getvalue()


def author_pdf_bytes() -> bytes:
    """A PDF with /Author in its document info and dc:creator in its XMP, as office software writes."""
    pdf = pikepdf.open(io.BytesIO(pdf_bytes(Author="Budi Santoso", Creator="Budi's Word")))
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = ["Budi Santoso"]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as img:
        return bool(img.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def assert_clean(data: bytes, content_type: str) -> None:
    assert NAME not in data and b"Budi" not in data
    if content_type == "application/pdf":
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
    else:
        with Image.open(io.BytesIO(data)) as img:
            assert not img.getexif() and "xmp" not in img.info and "exif" not in img.info


def assert_dirty(data: bytes) -> None:
    assert NAME in data


def uploads():
    return [
        check_upload(SimpleUploadedFile("foto-budi.jpg", photo_bytes())),
        check_upload(SimpleUploadedFile("foto-budi.png", photo_bytes("PNG"))),
        check_upload(SimpleUploadedFile("surat-budi.pdf", author_pdf_bytes())),
    ]


def _body(response) -> bytes:
    data = b"".join(response.streaming_content)
    close_response(response)
    return data


def _read(fieldfile) -> bytes:
    with fieldfile.open("rb") as handle:
        return handle.read()


@pytest.fixture
def everyone(db, tree, citizen, other_citizen, national_admin, agency_admin, unit_admin, head, supervisor, liaison):
    """A client per role, the anonymous public included."""
    clients = {"public": Client()}
    for label, user in [
        ("reporter", citizen),
        ("other_citizen", other_citizen),
        ("national_admin", national_admin),
        ("agency_admin", agency_admin),
        ("unit_admin", unit_admin),
        ("liaison", liaison),
        ("head", head),
        ("supervisor", supervisor),
    ]:
        clients[label] = Client()
        clients[label].force_login(user)
    return clients


@pytest.fixture
def badung_key(tree, agency_admin):
    key, raw = ApiKey.issue(agency=tree["badung"], name="SIMPEL", created_by=agency_admin)
    return raw


def every_download(report, attachment, everyone, raw_key):
    """(who, url, response) for each download URL each role can reach: public, admin, API."""
    urls = [
        reverse("complaints:attachment", args=[report.tracking_no, attachment.pk]),
        reverse("admin:complaints_report_attachment", args=[report.pk, attachment.pk]),
    ]
    for who, client in everyone.items():
        for url in urls:
            response = client.get(url)
            yield who, url, response
            close_response(response)
    api = Client(headers={"authorization": f"Bearer {raw_key}"})
    url = reverse("api:attachment", args=[report.tracking_no, attachment.pk])
    response = api.get(url)
    yield "api_key", url, response
    close_response(response)


def assert_every_download_clean(report, everyone, raw_key):
    served = set()
    for attachment in report.attachments.all():
        for who, url, response in every_download(report, attachment, everyone, raw_key):
            if response.status_code == 200:
                assert_clean(_body(response), attachment.content_type), (who, url)
                served.add((who, url.split("/")[1]))
    # Not vacuous: the public, the reporter, the agency, national staff and the API all got the files.
    assert {("public", "laporan"), ("reporter", "laporan"), ("agency_admin", "admin")} <= served
    assert {("national_admin", "admin"), ("head", "admin"), ("supervisor", "admin"), ("api_key", "api")} <= served


def test_anonim_upload_comes_out_clean_everywhere(make_report, national_admin, tree, everyone, badung_key):
    report = make_report(is_anonymous=True, attachments=uploads())
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    stored = list(report.attachments.all())
    assert len(stored) == 3 and all(a.is_clean and not a.public_file for a in stored)
    assert all(a.original_name.startswith(f"lampiran-{a.pk}.") for a in stored)  # not "foto-budi.jpg"
    for a in stored:
        assert_clean(_read(a.file), a.content_type)
    assert_every_download_clean(report, everyone, badung_key)


def test_made_anonim_at_verification_comes_out_clean_everywhere(
    make_report, national_admin, tree, everyone, badung_key
):
    report = make_report(attachments=uploads())
    before = {a.pk: _read(a.file) for a in report.attachments.all()}
    for data in before.values():
        assert_dirty(data)  # the reporter's originals, kept while the report is not Anonim
    workflow.verify(report, by=national_admin, is_anonymous=True)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    for a in report.attachments.all():
        assert a.is_clean and not a.withheld and "budi" not in a.original_name
        assert_clean(_read(a.file), a.content_type)
    assert_every_download_clean(report, everyone, badung_key)


def test_cleaned_photo_is_still_the_photo(make_report):
    report = make_report(is_anonymous=True, attachments=uploads()[:1])
    with Image.open(io.BytesIO(_read(report.attachments.get().file))) as img:
        assert img.size == (40, 30) and img.getpixel((5, 5))[2] > 200  # the same blue picture


def test_public_photos_lose_their_location_the_handling_staff_keep_the_original(
    make_report, national_admin, tree, everyone, badung_key
):
    report = make_report(attachments=uploads()[:2])
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    for attachment in report.attachments.all():
        assert attachment.public_file and not attachment.is_clean
        for who, url, response in every_download(report, attachment, everyone, badung_key):
            if response.status_code != 200:
                continue
            data = _body(response)
            acting = who in ("national_admin", "agency_admin", "api_key")  # Dinkes staff: not handling it
            assert has_gps(data) == acting, (who, url)
    # Everyone else: the public, the reporter, other citizens, heads and supervisors get the copy.
    url = reverse("complaints:attachment", args=[report.tracking_no, report.attachments.first().pk])
    assert not has_gps(_body(everyone["public"].get(url)))


def test_an_image_stored_before_public_copies_gets_one_on_its_first_public_download(
    make_report, national_admin, client
):
    report = make_report(attachments=uploads()[:1])
    workflow.verify(report, by=national_admin)
    attachment = report.attachments.get()
    Attachment.objects.filter(pk=attachment.pk).update(public_file="")  # as stored before this change
    response = client.get(reverse("complaints:attachment", args=[report.tracking_no, attachment.pk]))
    assert response.status_code == 200 and not has_gps(_body(response))
    attachment.refresh_from_db()
    assert attachment.public_file


def test_an_anonim_file_stored_before_cleaning_is_cleaned_on_first_download(make_report, national_admin, client):
    report = make_report(is_anonymous=True)
    workflow.verify(report, by=national_admin)
    legacy = Attachment(report=report, original_name="surat-budi.pdf", content_type="application/pdf", size=1)
    legacy.file.save(".pdf", ContentFile(author_pdf_bytes()), save=False)
    legacy.save()
    response = client.get(reverse("complaints:attachment", args=[report.tracking_no, legacy.pk]))
    assert response.status_code == 200
    assert_clean(_body(response), "application/pdf")
    legacy.refresh_from_db()
    assert legacy.is_clean and legacy.original_name == f"lampiran-{legacy.pk}.pdf"


def test_a_file_that_cannot_be_cleaned_is_withheld_and_the_reporter_told(
    make_report, national_admin, citizen, tree, everyone, badung_key, mailoutbox
):
    report = make_report()
    broken = Attachment(report=report, original_name="surat-budi.pdf", content_type="application/pdf", size=1)
    broken.file.save(".pdf", ContentFile(b"%PDF-1.4 Budi Santoso, not really a PDF"), save=False)
    broken.save()
    workflow.verify(report, by=national_admin, is_anonymous=True)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    broken.refresh_from_db()
    assert broken.withheld and not broken.is_clean and "budi" not in broken.original_name
    for who, url, response in every_download(report, broken, everyone, badung_key):
        expected = 200 if (who, url.split("/")[1]) == ("reporter", "laporan") else 404
        assert response.status_code in ((200,) if expected == 200 else (302, 404)), (who, url)
    note = Notification.objects.get(user=citizen, kind="attachment_withheld")
    assert report.tracking_no in note.subject and "hanya Anda yang dapat membukanya" in note.body
    detail = everyone["reporter"].get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()
    assert "hanya untuk Anda" in detail
    public = everyone["public"].get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()
    assert broken.original_name not in public


def test_the_agency_never_holds_the_anonim_original_after_verification(make_report, national_admin):
    report = make_report(attachments=uploads())
    old_names = [a.file.name for a in report.attachments.all()]
    storage = report.attachments.first().file.storage
    workflow.verify(report, by=national_admin, is_anonymous=True)
    # The originals are deleted once the verification commits (tests run inside one transaction).
    from django.db import connection

    for callback in [c for _sp, c, _r in connection.run_on_commit]:
        callback()
    assert not any(storage.exists(name) for name in old_names)


def test_membership_roles_cover_every_staff_role():
    covered = {"national_admin", "agency_admin", "unit_admin", "liaison", "head", "supervisor"}
    roles = {r for r in Membership.Role.values if r != Membership.Role.DEVELOPER}
    assert {r.replace("liaison_officer", "liaison") for r in roles} == covered
