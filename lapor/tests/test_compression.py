"""Text responses are gzip-compressed at lapor.http_cache.COMPRESS_LEVEL, padded per response (Django's
BREACH mitigation), and decompress to the page as rendered."""

import gzip

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from lapor import http_cache
from lapor.http_cache import CompressTextMiddleware

PAGE = ("<!doctype html><html><body>" + "".join(f"<p>Laporan nomor {n}: jalan rusak</p>" for n in range(400))).encode()


def respond(body=PAGE, content_type="text/html; charset=utf-8", encoding="gzip, br", **headers):
    response = HttpResponse(body, content_type=content_type, headers=headers)
    request = RequestFactory().get("/laporan/", HTTP_ACCEPT_ENCODING=encoding)
    return CompressTextMiddleware(lambda request: response)(request)


def deflate_stream(compressed: bytes) -> bytes:
    """The gzip member's compressed data: after the 10-byte header and the padded file name."""
    assert compressed[3] & gzip.FNAME
    return compressed[compressed.index(b"\x00", 10) + 1 :]


def test_a_page_is_compressed_at_the_level_and_decompresses_to_itself():
    response = respond()
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert int(response["Content-Length"]) == len(response.content)
    assert gzip.decompress(response.content) == PAGE
    # The same deflate stream as zlib's at the level (the file name before it is the padding).
    assert deflate_stream(response.content) == gzip.compress(PAGE, http_cache.COMPRESS_LEVEL, mtime=0)[10:]


def test_the_padding_varies_per_response():
    sizes = {len(respond().content) for _i in range(20)}
    assert len(sizes) > 1


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "headers"),
    [
        (PAGE, "image/jpeg", "gzip", {}),  # compressed already
        (PAGE, "text/html", "br", {}),  # the client takes no gzip
        (b"<p>pendek</p>", "text/html", "gzip", {}),  # too short to gain
        (PAGE, "text/html", "gzip", {"Content-Encoding": "br"}),  # encoded already
    ],
)
def test_what_is_not_compressed(body, content_type, encoding, headers):
    response = respond(body, content_type, encoding, **headers)
    assert response.content == body
    assert response.get("Content-Encoding") == headers.get("Content-Encoding")


def test_a_strong_etag_is_made_weak():
    assert respond(ETag='"abc"')["ETag"] == 'W/"abc"'
