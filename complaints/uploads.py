"""Attachments: checked by their content (never their name), size- and pixel-limited, stored privately,
and cleaned of what could identify or locate a person.

- Every upload is checked: the type from the content; an image's pixel count from its header before
  anything is decoded; a PDF must open and carry no JavaScript, automatic action or embedded file.
- An Anonim reporter's files lose all metadata (EXIF, XMP, PNG text, PDF document info and XMP) on
  upload and whenever the report is made Anonim later (verification), and their chosen file names are
  replaced by neutral ones. A file that cannot be cleaned then is withheld from everyone but its
  reporter, who is told.
- Every image has a metadata-free copy (no GPS): the acting staff of the handling agency download the
  original, everyone else — the public, the reporter, heads, supervisors — the copy. Because the copy
  exists from upload on, a later change of visibility (verification, an approved answer) needs nothing.
- Files leave only through `file_response`: the verified content type, a name with the verified
  extension, and a sandbox Content-Security-Policy.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from dataclasses import dataclass

import filetype
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .models import Attachment

log = logging.getLogger(__name__)

IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}
# Keys of a PDF dictionary that run something or carry a file: refused on upload, removed when cleaning.
PDF_ACTIVE_KEYS = {"/JS", "/JavaScript", "/OpenAction", "/AA", "/EmbeddedFiles", "/EmbeddedFile", "/RichMedia", "/XFA"}
PDF_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute", "/Rendition"}
# Served to a browser: never run as a page of this site, whatever the file holds.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


class StorageFailure(Exception):
    """The file store refused a file that was fine (a read-only or full disk, an unreachable bucket)."""


class CleaningFailed(Exception):
    """The file could not be read or rewritten without its metadata."""


@dataclass
class CheckedUpload:
    name: str
    content_type: str
    data: bytes
    clean_data: bytes  # the same content without any metadata (and, for PDFs, without active content)

    def attach(self, report, *, event=None, by=None) -> Attachment:
        attachment = Attachment(
            report=report,
            event=event,
            original_name=self.name,
            content_type=self.content_type,
            uploaded_by=by,
        )
        anonymise = report.is_anonymous and from_reporter(report, attachment)
        data = self.clean_data if anonymise else self.data
        attachment.size = len(data)
        attachment.is_clean = anonymise
        ext = EXTENSIONS[self.content_type]
        try:
            attachment.file.save(ext, ContentFile(data), save=False)
            if not anonymise and self.content_type in IMAGE_TYPES:
                attachment.public_file.save(ext, ContentFile(self.clean_data), save=False)
        except Exception as exc:  # only the file store is involved here: read-only, full, unreachable
            if attachment.file:  # the original was stored, its public copy not
                try:
                    attachment.file.delete(save=False)
                except Exception:
                    log.warning("Could not remove %s after a failed upload", attachment.file.name, exc_info=True)
            raise StorageFailure(f"{type(exc).__name__}: {exc}") from exc
        attachment.save()
        if anonymise:
            attachment.original_name = neutral_name(attachment)
            attachment.save(update_fields=["original_name"])
        return attachment


def from_reporter(report, attachment: Attachment) -> bool:
    """Filed with the report (walk-ins too) or added later by the reporter."""
    return attachment.event_id is None or attachment.uploaded_by_id in (None, report.reporter_id)


def neutral_name(attachment: Attachment) -> str:
    return f"lampiran-{attachment.pk}{EXTENSIONS.get(attachment.content_type, '')}"


def safe_name(name: str, content_type: str) -> str:
    """The file name with the extension of its verified type: "poly.html" holding a PNG is "poly.png"."""
    stem = os.path.basename(name or "").split(".")[0].strip() or "lampiran"
    return stem[:180] + EXTENSIONS.get(content_type, "")


# --- Checking an upload ---


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
    if mime not in settings.LAPOR_ATTACHMENT_TYPES or mime not in EXTENSIONS:
        raise ValidationError(
            _("Berkas “%(name)s” bukan gambar (JPG, PNG, WebP) atau PDF yang sah; isinya diperiksa, bukan namanya.")
            % {"name": name}
        )
    if mime in IMAGE_TYPES:
        clean_data = clean_image(data, mime, name=name)
    else:
        refuse_active_pdf(data, name)
        try:
            clean_data = clean_pdf(data)
        except CleaningFailed as exc:
            raise ValidationError(
                _("PDF “%(name)s” tidak dapat dibaca (rusak atau terkunci kata sandi).") % {"name": name}
            ) from exc
    return CheckedUpload(name=safe_name(name, mime), content_type=mime, data=data, clean_data=clean_data)


# Files one step of a report may carry through a web form (the report form, the citizen's details and
# reply; the admin's forms take any number).
MAX_FILES = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """The one field for several files in one input, on every web form: at most `max_files` (None: no
    cap), each checked by its content (check_upload); every refused file is named at once, and
    cleaned_data holds the CheckedUploads."""

    def __init__(self, *args, max_files: int | None = MAX_FILES, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(settings.LAPOR_ATTACHMENT_TYPES)}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if self.max_files is not None and len(files) > self.max_files:
            raise ValidationError(_("Paling banyak %(count)s berkas lampiran.") % {"count": self.max_files})
        checked, errors = [], []
        for upload in files:
            try:
                checked.append(check_upload(upload))
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return checked


def _open_image(data: bytes, name: str):
    """Open an image reading its header only, and refuse it before decoding when it has too many pixels."""
    from PIL import Image, UnidentifiedImageError

    limit = settings.LAPOR_IMAGE_MAX_PIXELS
    too_big = _("Gambar “%(name)s” terlalu besar (%(size)s piksel); batasnya %(limit)s megapiksel.")
    try:
        with warnings.catch_warnings():
            # Pillow warns between its limit and twice it; the explicit check below answers instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ValidationError(
            _("Gambar “%(name)s” terlalu besar; batasnya %(limit)s megapiksel.")
            % {"name": name, "limit": limit // 1_000_000}
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValidationError(_("Gambar “%(name)s” tidak dapat dibaca.") % {"name": name}) from exc
    width, height = img.size
    if width * height > limit:
        img.close()
        raise ValidationError(too_big % {"name": name, "size": f"{width}×{height}", "limit": limit // 1_000_000})
    return img


def clean_image(data: bytes, content_type: str, *, name: str = "") -> bytes:
    """The pixels only, re-encoded upright: no EXIF (GPS, author, camera serial), XMP or PNG text
    survives. Raises ValidationError for an image that is too large or cannot be decoded."""
    from PIL import ImageOps

    img = _open_image(data, name)
    try:
        with img:
            img.load()
            icc = img.info.get("icc_profile")  # colours, not a person: kept so the photo looks the same
            upright = ImageOps.exif_transpose(img)  # the EXIF orientation goes, so apply it to the pixels
            clean = upright.copy()
            clean.info = {}
            out = io.BytesIO()
            options = {"icc_profile": icc} if icc else {}
            if content_type != "image/png":
                options["quality"] = 90
            clean.save(out, format=IMAGE_FORMATS[content_type], **options)
            return out.getvalue()
    except ValidationError:
        raise
    except Exception as exc:  # a file Pillow cannot decode is refused rather than stored with its metadata
        raise ValidationError(_("Gambar “%(name)s” tidak dapat dibaca.") % {"name": name}) from exc


def _pdf_dictionaries(pdf):
    """Every dictionary and stream of the PDF: the numbered objects and the ones nested inside them."""
    import pikepdf

    def walk(obj):
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            yield obj
            children = [obj[key] for key in obj.keys()]  # noqa: SIM118 (a pikepdf Stream is no mapping)
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            return
        for child in children:
            if isinstance(child, pikepdf.Dictionary | pikepdf.Array) and not child.is_indirect:
                yield from walk(child)

    for obj in pdf.objects:
        yield from walk(obj)


def _pdf_active_parts(pdf) -> list[str]:
    found = set()
    for obj in _pdf_dictionaries(pdf):
        found.update(PDF_ACTIVE_KEYS.intersection(obj.keys()))
        if str(obj.get("/S", "")) in PDF_ACTIVE_ACTIONS:
            found.add(str(obj.get("/S")))
    return sorted(found)


def refuse_active_pdf(data: bytes, name: str) -> None:
    """A PDF that runs something when opened (JavaScript, automatic or launch actions) or carries
    other files is refused: the reader of an answer or a report must be safe opening it."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            active = _pdf_active_parts(pdf)
    except (pikepdf.PdfError, ValueError) as exc:
        raise ValidationError(
            _("PDF “%(name)s” tidak dapat dibaca (rusak atau terkunci kata sandi).") % {"name": name}
        ) from exc
    if active:
        raise ValidationError(
            _(
                "PDF “%(name)s” berisi JavaScript, aksi otomatis atau berkas sisipan (%(parts)s) dan ditolak. "
                "Cetak ulang sebagai PDF biasa (“Print to PDF”) lalu unggah lagi."
            )
            % {"name": name, "parts": ", ".join(p.lstrip("/") for p in active)}
        )


def _strip_jpeg_segments(data: bytes) -> bytes:
    """A JPEG without its APP1–APP13 and APP15 segments (EXIF, XMP, IPTC, maker notes) and comments;
    JFIF (APP0) and Adobe colour information (APP14) stay. The image data is untouched."""
    if data[:2] != b"\xff\xd8":
        return data
    out, i = bytearray(b"\xff\xd8"), 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment = data[i : i + 2 + length]
        if not (0xE1 <= marker <= 0xED or marker in (0xEF, 0xFE)):
            out += segment
        i += 2 + length
    return bytes(out + data[i:])


def clean_pdf(data: bytes) -> bytes:
    """The PDF rewritten without document info, XMP (of the document and of any part), private
    application data, the EXIF of embedded JPEG photos, and without active content."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for obj in list(_pdf_dictionaries(pdf)):
                if str(obj.get("/S", "")) in PDF_ACTIVE_ACTIONS:
                    del obj["/S"]  # an action without a type does nothing
                for key in ("/Metadata", "/PieceInfo", *PDF_ACTIVE_KEYS):
                    if key in obj:
                        del obj[key]
                if isinstance(obj, pikepdf.Stream) and obj.get("/Filter") == pikepdf.Name.DCTDecode:
                    raw = obj.read_raw_bytes()
                    stripped = _strip_jpeg_segments(raw)
                    if stripped != raw:
                        obj.write(stripped, filter=pikepdf.Name.DCTDecode)
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False)
            return out.getvalue()
    except (pikepdf.PdfError, ValueError) as exc:
        raise CleaningFailed(str(exc)) from exc


def clean_content(data: bytes, content_type: str) -> bytes:
    """All metadata removed; CleaningFailed if the file cannot be read or rewritten."""
    if content_type in IMAGE_TYPES:
        try:
            return clean_image(data, content_type)
        except ValidationError as exc:
            raise CleaningFailed(" ".join(exc.messages)) from exc
    if content_type == "application/pdf":
        return clean_pdf(data)
    raise CleaningFailed(content_type)


# --- Cleaning stored files when a report is made Anonim ---


def anonymise_reporter_files(report) -> None:
    """A report made Anonim later (at verification): every file its reporter gave loses its metadata
    and its chosen name. A file that cannot be cleaned is withheld from everyone but the reporter."""
    for attachment in report.attachments.all():
        if from_reporter(report, attachment):
            anonymise(attachment, report)


def anonymise(attachment: Attachment, report) -> Attachment:
    """Clean one reporter's file in place (the old file is deleted once the transaction commits)."""
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
        attachment.original_name = neutral_name(attachment)
        if attachment.is_clean or attachment.withheld:
            attachment.save(update_fields=["original_name"])
            return attachment
        old = [f.name for f in (attachment.file, attachment.public_file) if f]
        try:
            with attachment.file.open("rb") as handle:
                clean = clean_content(handle.read(), attachment.content_type)
        except (CleaningFailed, OSError) as exc:
            log.warning("Attachment %s could not be cleaned of its metadata; withheld: %s", attachment.pk, exc)
            attachment.withheld = True
            attachment.save(update_fields=["original_name", "withheld"])
            _tell_reporter_withheld(report, attachment)
            return attachment
        attachment.file.save(EXTENSIONS[attachment.content_type], ContentFile(clean), save=False)
        attachment.public_file = ""
        attachment.size = len(clean)
        attachment.is_clean = True
        attachment.save(update_fields=["original_name", "file", "public_file", "size", "is_clean"])
        storage = attachment.file.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in old])
        return attachment


def _tell_reporter_withheld(report, attachment: Attachment) -> None:
    from django.urls import reverse
    from django.utils import timezone, translation

    from .models import Notification
    from .notifications import enqueue_delivery

    if not report.reporter_id:
        return
    user = report.reporter
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        subject = _("Lampiran laporan %(no)s tidak dibagikan") % {"no": report.tracking_no}
        body = _(
            "Laporan Anda %(no)s kini Anonim. Data tersembunyi di dalam lampiran “%(name)s” (misalnya nama "
            "penulis atau lokasi) tidak dapat kami hapus, jadi berkas itu tidak kami tunjukkan kepada instansi "
            "maupun publik; hanya Anda yang dapat membukanya. Bila berkas itu penting, kirimkan salinan yang "
            "bersih (misalnya hasil pindaian atau “Print to PDF”) sebagai informasi tambahan."
        ) % {"no": report.tracking_no, "name": attachment.original_name}
    path = reverse("complaints:detail", args=[report.tracking_no])
    note = Notification.objects.create(
        user=user,
        report=report,
        kind="attachment_withheld",
        subject=subject[:200],
        body=body,
        url=path,
        created_at=timezone.now(),
    )
    enqueue_delivery([note.pk])


# --- Serving ---


def sees_original(user, report) -> bool:
    """The acting staff of the handling agency (and national admins) work with the file as sent."""
    from .access import STAFF_ACTING_ROLES, roles_for

    return user is not None and bool(roles_for(user, report) & STAFF_ACTING_ROLES)


def file_for(attachment: Attachment, user, report):
    """The stored file `user` may download, or None: the original for the handling staff, the
    metadata-free copy of an image for everyone else; an Anonim reporter's file is cleaned first if it
    still is not (a file stored before cleaning existed), and a withheld one goes to its reporter only."""
    from .access import REPORTER, roles_for

    if report.is_anonymous and from_reporter(report, attachment) and not (attachment.is_clean or attachment.withheld):
        attachment = anonymise(attachment, report)
    if attachment.withheld:
        return attachment.file if REPORTER in roles_for(user, report) else None
    if attachment.content_type not in IMAGE_TYPES or attachment.is_clean or sees_original(user, report):
        return attachment.file
    if not attachment.public_file:
        attachment = _make_public_copy(attachment)
    return attachment.public_file or None


def _make_public_copy(attachment: Attachment) -> Attachment:
    """The metadata-free copy of an image stored before copies were made at upload."""
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
        if attachment.public_file:
            return attachment
        try:
            with attachment.file.open("rb") as handle:
                clean = clean_content(handle.read(), attachment.content_type)
        except (CleaningFailed, OSError) as exc:
            log.warning("No public copy of attachment %s: %s", attachment.pk, exc)
            return attachment
        attachment.public_file.save(EXTENSIONS[attachment.content_type], ContentFile(clean), save=False)
        attachment.save(update_fields=["public_file"])
        return attachment


def file_response(attachment: Attachment, stored, *, inline: bool = False) -> FileResponse:
    """Send a stored file with its verified type and extension, never as a page of this site."""
    response = FileResponse(
        stored.open("rb"),
        content_type=attachment.content_type,
        filename=safe_name(attachment.original_name, attachment.content_type),
        as_attachment=not inline,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = SANDBOX_CSP
    return response
