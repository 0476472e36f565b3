"""Files that would hurt the server or the reader: huge images refused from their header before any
decoding, active PDFs refused, and every download sent with its verified type, a safe name and a sandbox."""

import io
import struct
import time
import zlib

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageFile

from complaints.uploads import check_upload

from .portal import close_response, pdf_bytes, png_upload


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares width×height pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("an oversized image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize("size", [(12000, 14000), (30000, 30000), (9000, 9000)])
def test_an_image_over_the_pixel_limit_is_refused_before_decoding(size, no_decoding):
    upload = SimpleUploadedFile("peta.png", png_header_only(*size))
    started = time.monotonic()
    with pytest.raises(ValidationError) as refused:
        check_upload(upload)
    assert time.monotonic() - started < 1
    message = " ".join(refused.value.messages)
    assert "peta.png" in message and "terlalu besar" in message and "40 megapiksel" in message


def test_the_pixel_limit_is_a_setting(settings):
    settings.LAPOR_IMAGE_MAX_PIXELS = 100
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, format="PNG")
    with pytest.raises(ValidationError, match="20×20"):
        check_upload(SimpleUploadedFile("kecil.png", out.getvalue()))
    settings.LAPOR_IMAGE_MAX_PIXELS = 400
    assert check_upload(SimpleUploadedFile("kecil.png", out.getvalue())).content_type == "image/png"


def test_an_image_over_the_limit_is_refused_in_the_citizen_form_with_a_message(client, citizen):
    client.force_login(citizen)
    response = client.post(
        reverse("complaints:submit"),
        {"attachments": [SimpleUploadedFile("bom.png", png_header_only(30000, 30000))], "title": "Judul saya"},
    )
    html = response.content.decode()
    assert "bom.png" in html and "terlalu besar" in html and "Judul saya" in html


def _pdf_with(setup) -> bytes:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes()))
    setup(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _js_open_action(pdf):
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))


def _named_javascript(pdf):
    js = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), js])))


def _page_additional_action(pdf):
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("x")))


def _launch_link(pdf):
    action = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe"))
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 9, 9], A=action)
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))


def _embedded_file(pdf):
    pdf.attachments["virus.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ...")


@pytest.mark.parametrize(
    "setup", [_js_open_action, _named_javascript, _page_additional_action, _launch_link, _embedded_file]
)
def test_a_pdf_that_runs_something_or_carries_files_is_refused(setup):
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("surat.pdf", _pdf_with(setup)))
    message = " ".join(refused.value.messages)
    assert "surat.pdf" in message and "ditolak" in message and "Print to PDF" in message


def test_a_plain_pdf_is_accepted_and_an_unreadable_one_refused():
    assert check_upload(SimpleUploadedFile("surat.pdf", pdf_bytes())).content_type == "application/pdf"
    with pytest.raises(ValidationError, match="tidak dapat dibaca"):
        check_upload(SimpleUploadedFile("rusak.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"))


def test_active_content_of_a_stored_pdf_is_removed_when_it_is_cleaned():
    from complaints.uploads import clean_pdf

    for setup in (_js_open_action, _named_javascript, _page_additional_action, _launch_link, _embedded_file):
        clean = clean_pdf(_pdf_with(setup))
        assert b"app.alert" not in clean and b"/Launch" not in clean and b"MZ..." not in clean, setup.__name__


def test_the_admin_serves_a_file_with_its_verified_type_a_safe_name_and_a_sandbox(client, make_report, national_admin):
    report = make_report(attachments=[check_upload(png_upload("poly.html"))])
    attachment = report.attachments.get()
    assert attachment.original_name == "poly.png"  # the active extension is not kept
    client.force_login(national_admin)
    for url in (
        reverse("admin:complaints_report_attachment", args=[report.pk, attachment.pk]),
        reverse("complaints:attachment", args=[report.tracking_no, attachment.pk]),
    ):
        response = client.get(url)
        close_response(response)
        assert response["Content-Type"] == "image/png"
        assert 'filename="poly.png"' in response["Content-Disposition"]
        assert (
            response["Content-Security-Policy"].endswith("sandbox")
            and "default-src 'none'" in response["Content-Security-Policy"]
        )
        assert response["X-Content-Type-Options"] == "nosniff"


def test_an_old_row_with_an_active_name_is_still_served_under_a_safe_one(client, make_report, national_admin):
    report = make_report(attachments=[check_upload(png_upload())])
    attachment = report.attachments.get()
    type(attachment).objects.filter(pk=attachment.pk).update(original_name="poly.svg.html")
    client.force_login(national_admin)
    response = client.get(reverse("admin:complaints_report_attachment", args=[report.pk, attachment.pk]))
    close_response(response)
    assert 'filename="poly.png"' in response["Content-Disposition"] and response["Content-Type"] == "image/png"
