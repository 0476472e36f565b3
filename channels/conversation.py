"""The conversation rules: what an inbound message means and what LAPOR answers.

Every channel adapter turns what it received into an `Inbound` and calls `store`, which writes the
message once (a redelivery with the same provider id is dropped) and queues `process` after the
commit. `process` continues a report (a tracking number, a reply to LAPOR's own message, or the
sender's one open conversation) or starts a new one, collects what a report needs with defaults,
files it through `workflow.submit` and maps the citizen's answers to `reply`, `accept` and
`reopen`. The workflow's events come back through `on_event` (a listener of
complaints.notifications) as outbound messages on the citizen's channel.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User, normalize_phone
from agencies.models import Region
from complaints import workflow
from complaints.models import CLOSED_STATUSES, Action, Category, Channel, Classification, Report, Status
from complaints.uploads import check_upload
from lapor.queue import after_commit

from . import text as T
from .models import Contact, Conversation, Message, MessageFile

log = logging.getLogger(__name__)
In, Out = Message.Direction.IN, Message.Direction.OUT
MS = Message.State
CS = Conversation.State
# RFC 2606 reserves .invalid: no mail is ever sent to a channel citizen's placeholder address.
PLACEHOLDER_DOMAIN = "kanal.lapor.invalid"


def is_channel_account(user) -> bool:
    """An account made for a channel sender (_contact), known by its placeholder address."""
    return (user.email or "").lower().endswith("@" + PLACEHOLDER_DOMAIN)


@dataclass
class Inbound:
    """What an adapter received, in one shape for every channel."""

    channel: str
    address: str
    text: str = ""
    provider_id: str = ""
    name: str = ""
    subject: str = ""
    in_reply_to: str = ""  # e-mail: the Message-IDs of In-Reply-To and References, space-separated
    auto: str = ""  # why this is an automatic message (auto-reply, bounce): never answered
    data: dict = field(default_factory=dict)
    files: list = field(default_factory=list)  # (name, bytes) of attachments the channel carried


def normalize_address(channel: str, address: str) -> str:
    if channel == Channel.EMAIL:
        return (address or "").strip().lower()
    return normalize_phone(address)


# --- Storing: once per provider id ---


def store(inbound: Inbound) -> Message | None:
    """Write an inbound message once and queue its processing; None when it was stored before."""
    address = normalize_address(inbound.channel, inbound.address)
    data = dict(inbound.data)
    if inbound.auto:
        data["auto"] = inbound.auto
    try:
        with transaction.atomic():
            message = Message.objects.create(
                channel=inbound.channel,
                direction=In,
                address=address,
                name=inbound.name[:150],
                provider_id=inbound.provider_id[:255],
                subject=inbound.subject[:255],
                text=inbound.text,
                in_reply_to=inbound.in_reply_to[:255],
                data=data,
                state=MS.PENDING,
            )
            for name, content in inbound.files:
                add_file(message, name, content)
            queue_processing(message.pk)
    except IntegrityError:
        if (
            inbound.provider_id
            and Message.objects.filter(
                channel=inbound.channel, direction=In, provider_id=inbound.provider_id[:255]
            ).exists()
        ):
            return None
        raise
    return message


def add_file(message: Message, name: str, content: bytes) -> MessageFile | None:
    """Keep an attachment the report could take (checked by content, like the web form's)."""
    upload = ContentFile(content, name=name or "lampiran")
    try:
        checked = check_upload(upload)
    except ValidationError as exc:
        message.data.setdefault("refused_files", []).append(" ".join(exc.messages))
        Message.objects.filter(pk=message.pk).update(data=message.data)
        return None
    row = MessageFile(message=message, name=checked.name)
    row.file.save(secrets.token_hex(8), ContentFile(checked.data), save=False)
    row.save()
    return row


def queue_processing(message_id: int) -> None:
    # With the broker down the channel sweep picks the row up later.
    after_commit("channels.tasks.process_message", message_id)


# --- Processing ---


def process(message_id: int) -> str | None:
    """Handle one stored inbound message exactly once; returns its final state."""
    message = Message.objects.filter(pk=message_id, direction=In, state=MS.PENDING).first()
    if message is None:
        return None
    fetch_media(message)
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id, state=MS.PENDING).first()
        if message is None:
            return None
        message.attempts += 1
        message.state = _handle(message)
        message.save()
    return message.state


def fetch_media(message: Message) -> None:
    """Download the media a channel only referenced (WhatsApp images) before the transaction; a
    provider outage raises, the message stays pending and the sweep tries again."""
    refs = [r for r in message.data.get("media", []) if not r.get("stored")]
    if not refs:
        return
    from . import adapters

    adapter = adapters.get(message.channel)
    for ref in refs:
        name, content = adapter.download(ref)
        add_file(message, name, content)
        ref["stored"] = True
        Message.objects.filter(pk=message.pk).update(data=message.data)


def _handle(message: Message) -> str:
    if message.data.get("auto"):
        return MS.IGNORED  # RFC 3834: never answer an automatic message (no loops with vacation replies)
    if _over_limit(message):
        return MS.LIMITED
    contact = _contact(message)
    parsed = T.parse(message.text)
    conversation = _find_conversation(contact, message, parsed)
    language = T.language_of(" ".join([message.subject, message.text]), default=contact.language)
    if language != contact.language:
        contact.language = language
        contact.save(update_fields=["language"])
    if conversation is not None:
        conversation.language = language
        conversation.save(update_fields=["language", "updated_at"])
        _link(message, conversation)
    with translation.override(language):
        refused = _refused_files_text(message)
        if refused and conversation is not None:
            say(conversation, refused)  # first: the answer that follows may be the tracking number
        elif refused:
            say_to(message, refused)
        if conversation is None:
            _start(contact, message, parsed, language)
        elif conversation.state == CS.COLLECTING:
            _collect(conversation, message, parsed)
        else:
            _follow(conversation, message, parsed)
    return MS.PROCESSED


def _refused_files_text(message: Message) -> str:
    """What the citizen is told about attachments the upload checks refused (too large, too many
    pixels, not an image or PDF, active PDF); the message itself is handled as usual."""
    reasons = message.data.get("refused_files") or []
    if not reasons:
        return ""
    return _("Lampiran berikut tidak dapat kami terima: %(reasons)s Pesan Anda tetap kami proses.") % {
        "reasons": " ".join(reasons)
    }


def _link(message: Message, conversation: Conversation) -> None:
    message.conversation = conversation
    Message.objects.filter(pk=message.pk).update(conversation=conversation)


def _over_limit(message: Message) -> bool:
    """Per-sender limit: more than LAPOR_CHANNEL_RATE messages an hour are stored, not answered."""
    since = message.created_at - dt.timedelta(hours=1)
    recent = Message.objects.filter(
        channel=message.channel, direction=In, address=message.address, created_at__gte=since, pk__lt=message.pk
    ).count()
    return recent >= settings.LAPOR_CHANNEL_RATE


def _contact(message: Message) -> Contact:
    contact = Contact.objects.filter(channel=message.channel, address=message.address).select_related("user").first()
    if contact is not None:
        if message.name and not contact.name:
            contact.name = message.name
            contact.save(update_fields=["name"])
        return contact
    user = User.objects.create_user(
        f"{message.channel}-{secrets.token_hex(8)}@{PLACEHOLDER_DOMAIN}", None, full_name=message.name[:150]
    )
    return Contact.objects.create(channel=message.channel, address=message.address, user=user, name=message.name[:150])


def _find_conversation(contact: Contact, message: Message, parsed: T.Parsed) -> Conversation | None:
    mine = Conversation.objects.filter(contact=contact).select_related("report", "contact__user")
    numbers = T.tracking_numbers(message.subject, message.text)
    if numbers:
        found = mine.filter(report__tracking_no__in=numbers).first()
        if found is not None:
            return found
    if message.in_reply_to:
        answered = (
            Message.objects.filter(channel=message.channel, direction=Out, provider_id__in=message.in_reply_to.split())
            .filter(conversation__contact=contact)
            .values_list("conversation_id", flat=True)
            .first()
        )
        if answered:
            return mine.get(pk=answered)
    for conversation in mine.exclude(state=CS.CLOSED).order_by("-updated_at", "-pk"):
        if conversation.state == CS.COLLECTING or not _report_closed(conversation):
            return conversation
    if parsed.command in ("not_satisfied", "status"):
        # "BELUM" after a completed report: the latest report, to reopen within the window.
        return mine.filter(state=CS.FILED).order_by("-updated_at", "-pk").first()
    return None


def _report_closed(conversation: Conversation) -> bool:
    return conversation.report is None or conversation.report.status in CLOSED_STATUSES


# --- A new report ---


def _start(contact: Contact, message: Message, parsed: T.Parsed, language: str) -> None:
    if parsed.command in ("help", "status", "cancel") or parsed.unknown_keyword:
        if parsed.command == "status":
            say_to(message, _("Belum ada laporan yang sedang berjalan dari nomor/alamat ini.") + " " + help_text())
        else:
            say_to(message, help_text())
        return
    if len(T.words(parsed.body)) < settings.LAPOR_CHANNEL_MIN_WORDS and not message.files.exists():
        say_to(message, _("Selamat datang di LAPOR!") + " " + help_text())
        return
    today = timezone.now() - dt.timedelta(days=1)
    filed_today = Conversation.objects.filter(contact=contact, state=CS.FILED, created_at__gte=today).count()
    if filed_today >= settings.LAPOR_CHANNEL_REPORTS_PER_DAY:
        say_to(message, _("Anda sudah mengirim banyak laporan hari ini; coba lagi besok."))
        return
    conversation = Conversation.objects.create(
        contact=contact,
        channel=message.channel,
        language=language,
        draft={
            "body": parsed.body,
            "anonymous": "anonymous" in parsed.flags,
            "confidential": "confidential" in parsed.flags,
            "classification": parsed.classification or Classification.COMPLAINT,
            "subject": message.subject,
        },
    )
    _link(message, conversation)
    _find_region(conversation, f"{message.subject} {parsed.body}")
    _file_or_ask(conversation, message)


def _collect(conversation: Conversation, message: Message, parsed: T.Parsed) -> None:
    draft = conversation.draft
    if parsed.command == "cancel":
        conversation.state = CS.CLOSED
        conversation.save(update_fields=["state", "updated_at"])
        say(conversation, _("Laporan dibatalkan. Kirim pesan baru kapan saja untuk melapor."))
        return
    if parsed.command == "help":
        say(conversation, help_text())
        _file_or_ask(conversation, message)
        return
    draft["anonymous"] = draft.get("anonymous") or "anonymous" in parsed.flags
    draft["confidential"] = draft.get("confidential") or "confidential" in parsed.flags
    options = draft.get("options") or []
    picked = T.choice_of(message.text, len(options))
    if picked is not None:
        draft["regency"], draft["options"] = options[picked], []
    elif not _find_region(conversation, parsed.body or message.text) and len(T.words(parsed.body)) >= 4:
        draft["body"] = f"{draft.get('body', '')}\n{parsed.body}".strip()  # more details, not a region
    _file_or_ask(conversation, message)


def _find_region(conversation: Conversation, text: str) -> bool:
    """Look for the region in `text`; True when it named one (found or narrowed)."""
    draft = conversation.draft
    regencies = list(Region.objects.filter(level=Region.Level.REGENCY).only("code", "name", "parent"))
    provinces = list(Region.objects.filter(level=Region.Level.PROVINCE).only("code", "name"))
    match = T.find_region(text, regencies, provinces)
    if len(match.regencies) == 1:
        draft["regency"], draft["options"] = match.regencies[0].pk, []
        return True
    if match.regencies:
        draft["options"] = [r.pk for r in match.regencies[:9]]
        return True
    if match.province is not None:
        draft["province"] = match.province.pk
        return True
    return False


def _file_or_ask(conversation: Conversation, message: Message) -> None:
    draft = conversation.draft
    if draft.get("regency"):
        _file(conversation, message)
        return
    draft["asked"] = draft.get("asked", 0) + 1
    conversation.save(update_fields=["draft", "updated_at"])
    if draft.get("options"):
        names = dict(Region.objects.filter(pk__in=draft["options"]).values_list("pk", "name"))
        listing = "; ".join(f"{i}. {names[pk]}" for i, pk in enumerate(draft["options"], 1))
        say(conversation, _("Yang Anda maksud: %(list)s? Balas dengan nomornya.") % {"list": listing})
    elif draft.get("province"):
        province = Region.objects.get(pk=draft["province"])
        say(
            conversation,
            _("Di kabupaten/kota mana di %(province)s kejadiannya? Balas dengan namanya, misalnya “Kota Denpasar”.")
            % {"province": province.name},
        )
    else:
        say(
            conversation,
            _(
                "Terima kasih. Di kabupaten/kota mana kejadiannya? Balas dengan namanya, misalnya "
                "“Kabupaten Badung”. Balas BATAL untuk membatalkan."
            ),
        )


def _file(conversation: Conversation, message: Message) -> None:
    draft = conversation.draft
    contact = conversation.contact
    regency = Region.objects.select_related("parent").get(pk=draft["regency"])
    files = list(MessageFile.objects.filter(message__conversation=conversation, attached=False))
    body = draft.get("body") or draft.get("subject") or ""
    report = workflow.submit(
        by=contact.user,
        classification=draft.get("classification") or Classification.COMPLAINT,
        title=title_of(draft.get("subject") or body),
        body=body or title_of(body),
        event_date=timezone.localdate(),
        province=regency.parent,
        regency=regency,
        category=default_category(),
        is_anonymous=bool(draft.get("anonymous")),
        is_confidential=bool(draft.get("confidential")),
        channel=conversation.channel,
        reporter_contact=contact.address,
        submission_key=f"channel-conversation-{conversation.pk}",
        attachments=[_Stored(f) for f in files],
    )
    _spend(files)
    conversation.report, conversation.state = report, CS.FILED
    conversation.save(update_fields=["report", "state", "draft", "updated_at"])
    lines = [
        _("Laporan Anda tercatat di %(region)s dengan nomor %(no)s. Simpan nomor ini.")
        % {"region": regency.name, "no": report.tracking_no}
    ]
    if report.is_anonymous:
        lines.append(_("Identitas Anda dirahasiakan dari instansi (Anonim)."))
    if report.is_confidential:
        lines.append(_("Laporan ini tidak ditampilkan untuk publik (Rahasia)."))
    lines.append(_("Kami akan mengabarkan perkembangannya di sini. Balas STATUS untuk melihat statusnya."))
    say(conversation, " ".join(lines))


def _spend(files: list[MessageFile]) -> None:
    """The files are the report's attachments now (cleaned as the report's flags require): the
    channel's copy, still carrying the sender's metadata (EXIF, GPS, PDF author), is removed."""
    for row in files:
        row.file.delete(save=False)
    MessageFile.objects.filter(pk__in=[f.pk for f in files]).update(attached=True, file="")


class _Stored:
    """A channel's stored file handed to the workflow like a checked upload."""

    def __init__(self, row: MessageFile):
        self.row = row

    def attach(self, report, *, event=None, by=None):
        with self.row.file.open("rb") as fh:
            data = fh.read()
        return check_upload(ContentFile(data, name=self.row.name)).attach(report, event=event, by=by)


def title_of(text: str) -> str:
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    for stop in (". ", "! ", "? "):
        if stop in first:
            first = first.split(stop)[0]
    return (first[:117] + "…") if len(first) > 120 else (first or str(_("Laporan melalui kanal pesan")))


def default_category() -> Category:
    return Category.objects.get(code=settings.LAPOR_CHANNEL_DEFAULT_CATEGORY)


# --- A filed report ---


def _follow(conversation: Conversation, message: Message, parsed: T.Parsed) -> None:
    report = conversation.report
    user = conversation.contact.user
    rows = list(message.files.filter(attached=False))
    files = [_Stored(f) for f in rows]
    try:
        if parsed.command == "accept":
            rating = T.rating_of(parsed.argument)
            if report.status != Status.RESPONDED:
                say(conversation, status_text(report))
            elif rating is None:
                say(conversation, _("Balas TERIMA diikuti nilai 1 sampai 5, misalnya “TERIMA 5”."))
            else:
                comment = parsed.argument.split(None, 1)[1] if len(parsed.argument.split(None, 1)) > 1 else ""
                workflow.accept(report, by=user, rating=rating, comment=comment)
                say(
                    conversation,
                    _("Terima kasih. Laporan %(no)s selesai dengan penilaian %(rating)s.")
                    % {"no": report.tracking_no, "rating": rating},
                )
        elif parsed.command == "not_satisfied":
            reason = parsed.argument or str(
                _("Pelapor belum puas (melalui %(channel)s).") % {"channel": _channel_name(conversation)}
            )
            if report.status == Status.RESPONDED:
                workflow.reply(report, by=user, note=reason, attachments=files)
                _spend(rows)
                say(
                    conversation,
                    _("Tanggapan Anda diteruskan; laporan %(no)s diproses kembali.") % {"no": report.tracking_no},
                )
            elif report.status == Status.COMPLETED:
                workflow.reopen(report, by=user, reason=reason)
                say(conversation, _("Laporan %(no)s dibuka kembali.") % {"no": report.tracking_no})
            else:
                say(conversation, status_text(report))
        elif parsed.command == "status":
            say(conversation, status_text(report))
        elif parsed.command in ("help", "cancel") or parsed.unknown_keyword:
            say(conversation, help_text())
        elif report.status == Status.RESPONDED:
            workflow.reply(report, by=user, note=message.text.strip(), attachments=files)
            _spend(rows)
            say(
                conversation,
                _("Tanggapan Anda diteruskan; laporan %(no)s diproses kembali.") % {"no": report.tracking_no},
            )
        elif report.status == Status.ON_HOLD:
            workflow.provide_info(report, by=user, note=message.text.strip(), attachments=files)
            _spend(rows)
            say(
                conversation,
                _("Terima kasih, kelengkapan data laporan %(no)s sudah kami terima.") % {"no": report.tracking_no},
            )
        else:
            say(
                conversation,
                _("Pesan Anda kami terima dan dapat dibaca petugas.") + " " + status_text(report),
            )
    except workflow.WorkflowError as exc:
        say(conversation, str(exc))


def _channel_name(conversation: Conversation) -> str:
    return str(Channel(conversation.channel).label)


def status_text(report: Report) -> str:
    text = _("Status laporan %(no)s: %(status)s.") % {"no": report.tracking_no, "status": report.get_status_display()}
    if report.status == Status.RESPONDED:
        text += " " + answer_instructions()
    return text


def answer_instructions() -> str:
    return _("Balas TERIMA 1-5 bila puas (5 = sangat puas), atau BELUM disertai alasannya bila belum.")


def help_text() -> str:
    return _(
        "Kirim keluhan Anda dalam satu pesan, sebutkan kabupaten/kotanya. Awali dengan ANONIM agar identitas "
        "dirahasiakan, atau RAHASIA agar tidak tampil untuk publik. Perintah: STATUS, TERIMA 1-5, BELUM, BATAL."
    )


# --- Outbound ---


def say(conversation: Conversation, text: str, *, event=None) -> list[Message]:
    """Queue LAPOR's message to the citizen (split to the channel's length), sent after the commit."""
    from . import adapters

    text = adapters.outbound_text(conversation.channel, text)
    limit = adapters.length_limit(conversation.channel, text)
    last_in = conversation.messages.filter(direction=In).order_by("-created_at", "-pk").first()
    report = conversation.report
    subject = (
        _("[LAPOR %(no)s] Laporan Anda") % {"no": report.tracking_no}
        if report is not None
        else _("[LAPOR] Laporan Anda")
    )
    rows = [
        Message(
            conversation=conversation,
            channel=conversation.channel,
            direction=Out,
            address=conversation.contact.address,
            subject=subject,
            text=part,
            in_reply_to=(last_in.provider_id if last_in and conversation.channel == Channel.EMAIL else ""),
            provider_id=adapters.new_message_id(conversation.channel),
            state=MS.QUEUED,
            event=event,
            data={"auto": "auto-generated" if event is not None else "auto-replied"},
        )
        for part in T.split(text, limit)
    ]
    for row in rows:
        row.save()
        after_commit("channels.tasks.send_message", row.pk)
    return rows


def say_to(message: Message, text: str) -> None:
    """An answer to a sender without a conversation (help, limits): a one-off conversation row is
    not worth it, so the message is addressed directly."""
    from . import adapters

    text = adapters.outbound_text(message.channel, text)
    for part in T.split(text, adapters.length_limit(message.channel, text)):
        out = Message.objects.create(
            channel=message.channel,
            direction=Out,
            address=message.address,
            subject=str(_("[LAPOR] Bantuan")),
            text=part,
            in_reply_to=message.provider_id if message.channel == Channel.EMAIL else "",
            provider_id=adapters.new_message_id(message.channel),
            state=MS.QUEUED,
            data={"auto": "auto-replied", "answers": message.pk},
        )
        after_commit("channels.tasks.send_message", out.pk)


# --- The workflow's events, back on the citizen's channel ---

STEP_TEXTS = {
    "verify": lambda e: _("Laporan %(no)s sudah diverifikasi.") % _no(e),
    "hold": lambda e: (
        _("Laporan %(no)s memerlukan kelengkapan data: %(note)s Balas pesan ini dengan datanya.") % _no(e)
    ),
    "dispatch": lambda e: _("Laporan %(no)s diteruskan kepada %(agency)s.") % _no(e),
    "transfer": lambda e: _("Laporan %(no)s dialihkan kepada %(agency)s.") % _no(e),
    "respond": lambda e: (_("Jawaban atas laporan %(no)s: %(note)s") % _no(e)) + " " + answer_instructions(),
    "approve_response": lambda e: (_("Jawaban atas laporan %(no)s: %(note)s") % _no(e)) + " " + answer_instructions(),
    "auto_complete": lambda e: (
        _("Laporan %(no)s selesai. Balas BELUM disertai alasan dalam %(days)s hari untuk membukanya kembali.") % _no(e)
    ),
    "archive": lambda e: _("Laporan %(no)s diarsipkan: %(status)s.") % _no(e),
    "expire_info": lambda e: _("Laporan %(no)s dianggap dicabut karena data tidak dilengkapi.") % _no(e),
}


def _no(event) -> dict:
    report = event.report
    agency = event.target_agency or report.agency
    return {
        "no": report.tracking_no,
        "note": (event.public_note or "").strip(),
        "agency": agency.name if agency else "LAPOR!",
        "days": settings.LAPOR_REOPEN_WINDOW_DAYS,
        "status": report.get_close_reason_display() or report.get_status_display(),
    }


def on_event(event) -> bool:
    """complaints.notifications listener (inside the action's transaction): the public steps of a
    report filed through a channel go back on that channel. True: the reporter is told here, so
    no e-mail goes to the channel account's placeholder address."""
    conversation = (
        None  # a report just filed has no conversation yet (the channel links it after the submit event)
        if event.action == Action.SUBMIT
        else Conversation.objects.filter(report_id=event.report_id).select_related("contact", "report").first()
    )
    if conversation is None:
        # Filing itself (the submit event comes before the conversation holds the report): a channel
        # account is told on its channel, never mailed at its placeholder address. Only _contact makes
        # such accounts, each with a placeholder address (a channel account cannot sign in to change
        # it), so the reporter loaded with the report tells it without a query.
        return bool(event.report.reporter_id) and is_channel_account(event.report.reporter)
    render = STEP_TEXTS.get(event.action)
    if render is not None and event.is_public and event.actor_id != conversation.contact.user_id:
        with translation.override(conversation.language):
            say(conversation, render(event), event=event)
    return True
