"""Attachments: checked by their content (never their name), size-limited, stored privately.
For anonymous reporters, GPS metadata is stripped from photos and the file names they chose
("KTP_Budi_Santoso.jpg") are replaced by neutral ones."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .models import Attachment

IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}


class StorageFailure(Exception):
    """The file store refused a file that was fine (a read-only or full disk, an unreachable bucket)."""


@dataclass
class CheckedUpload:
    name: str
    content_type: str
    data: bytes

    def attach(self, report, *, event=None, by=None) -> Attachment:
        data = self.data
        if report.is_anonymous and self.content_type in IMAGE_TYPES:
            data = strip_metadata(data, self.content_type)
        attachment = Attachment(
            report=report,
            event=event,
            original_name=self.name,
            content_type=self.content_type,
            size=len(data),
            uploaded_by=by,
        )
        try:
            attachment.file.save(EXTENSIONS.get(self.content_type, ""), ContentFile(data), save=False)
        except Exception as exc:  # only the file store is involved here: read-only, full, unreachable
            raise StorageFailure(f"{type(exc).__name__}: {exc}") from exc
        attachment.save()
        if report.is_anonymous and from_reporter(report, attachment):
            attachment.original_name = neutral_name(attachment)
            attachment.save(update_fields=["original_name"])
        return attachment


def from_reporter(report, attachment: Attachment) -> bool:
    """Filed with the report (walk-ins too) or added later by the reporter."""
    return attachment.event_id is None or attachment.uploaded_by_id in (None, report.reporter_id)


def neutral_name(attachment: Attachment) -> str:
    return f"lampiran-{attachment.pk}{EXTENSIONS.get(attachment.content_type, '')}"


def hide_reporter_file_names(report) -> None:
    """A report made anonymous later (at verification): rename the files its reporter chose."""
    for attachment in report.attachments.all():
        if from_reporter(report, attachment):
            Attachment.objects.filter(pk=attachment.pk).update(original_name=neutral_name(attachment))


def check_upload(upload) -> CheckedUpload:
    """Validate an uploaded file; raise ValidationError with a message naming the file."""
    name = os.path.basename(upload.name or "lampiran")[:200]
    limit = settings.LAPOR_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("Berkas “%(name)s” berukuran %(size)s; batasnya %(limit)s per berkas.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    data = upload.read()
    kind = filetype.guess(data)
    mime = kind.mime if kind else ""
    if mime not in settings.LAPOR_ATTACHMENT_TYPES:
        raise ValidationError(
            _("Berkas “%(name)s” bukan gambar (JPG, PNG, WebP) atau PDF yang sah; isinya diperiksa, bukan namanya.")
            % {"name": name}
        )
    return CheckedUpload(name=name, content_type=mime, data=data)


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """Re-encode the pixels only: EXIF (GPS, camera serials) does not survive."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            clean = Image.new(img.mode, img.size)
            clean.paste(img)  # the pixels only (Image.getdata is deprecated in Pillow 12+)
            if img.mode == "P":
                clean.putpalette(img.getpalette())
            out = io.BytesIO()
            fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[content_type]
            clean.save(out, format=fmt, quality=90) if fmt != "PNG" else clean.save(out, format=fmt)
            return out.getvalue()
    except Exception as exc:  # an image Pillow cannot read is refused rather than stored with its metadata
        raise ValidationError(_("Gambar tidak dapat dibaca.")) from exc
