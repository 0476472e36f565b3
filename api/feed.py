"""The changes feed's opaque keyset cursor: (updated_at, id) of the last row of a page."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .http import ApiError


def encode_cursor(report) -> str:
    raw = f"{report.updated_at.isoformat()}|{report.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _sep, pk = raw.partition("|")
        moment = parse_datetime(when)
        if moment is None or timezone.is_naive(moment):
            raise ValueError(when)
        return moment, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(
            400,
            _("cursor tidak sah; pakai next_cursor dari halaman sebelumnya."),
            fields={"cursor": _("nilai tidak sah")},
        ) from None


def parse_since(value: str) -> dt.datetime:
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        moment = None
    if moment is None:
        raise ApiError(
            400,
            _("updated_since harus tanggal-waktu ISO 8601 dengan zona waktu (2026-01-05T08:00:00+07:00)."),
            fields={"updated_since": _("format tanggal salah")},
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
