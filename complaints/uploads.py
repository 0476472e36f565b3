"""Attachments: checked by their content (never their name), size-limited, stored privately.
GPS metadata is stripped from photos of anonymous reporters."""

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
        attachment.file.save(EXTENSIONS.get(self.content_type, ""), ContentFile(data), save=False)
        attachment.save()
        return attachment


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
