"""E-mail: a mailbox polled over IMAP (imap-tools); answers leave through Django's mail settings.

A message is stored (once, by its Message-ID) before it is flagged \\Seen, so a poll that dies in
between fetches it again and the redelivery is dropped. Threads are kept by Message-ID /
In-Reply-To / References and by the tracking number LAPOR puts in the subject."""

from __future__ import annotations

import re
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.html import strip_tags
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags

from complaints.models import Channel

from ..conversation import Inbound, store

AUTO_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+@.-]|$)", re.I)
QUOTE_START = re.compile(r"^(On .+ wrote:|Pada .+ menulis:|-----\s*Original Message|-----\s*Pesan Asli)", re.I)


class EmailAdapter:
    channel = Channel.EMAIL

    def __init__(self, url: str | None = None):
        parts = urlsplit(url or settings.LAPOR_EMAIL_IMAP_URL)
        self.scheme = parts.scheme  # imaps (TLS), imap+starttls, imap (loopback/tests only)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (993 if self.scheme == "imaps" else 143)
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.folder = unquote(parts.path.lstrip("/")) or "INBOX"

    def mailbox(self):
        timeout = settings.LAPOR_CHANNEL_TIMEOUT
        if self.scheme == "imaps":
            box = MailBox(self.host, self.port, timeout=timeout)
        elif self.scheme == "imap+starttls":
            box = MailBoxStartTls(self.host, self.port, timeout=timeout)
        else:
            box = MailBoxUnencrypted(self.host, self.port, timeout=timeout)
        try:
            return box.login(self.user, self.password, self.folder)
        except Exception:
            box.client.shutdown()  # a refused login must not leave the connection open
            raise

    def poll(self) -> int:
        """Store every unseen mail, then flag it seen; returns how many were new."""
        new = 0
        with self.mailbox() as box:
            for mail in box.fetch(AND(seen=False), mark_seen=False, bulk=50):
                if store(to_inbound(mail, self.host)) is not None:
                    new += 1
                box.flag(mail.uid, MailMessageFlags.SEEN, True)
        return new

    def send(self, message) -> str:
        headers = {"Message-ID": message.provider_id, "Auto-Submitted": message.data.get("auto", "auto-replied")}
        if message.in_reply_to:
            headers["In-Reply-To"] = message.in_reply_to
            headers["References"] = message.in_reply_to
        EmailMessage(
            subject=message.subject,
            body=message.text,
            from_email=settings.LAPOR_EMAIL_ADDRESS or settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers=headers,
        ).send()
        return message.provider_id

    def refresh_statuses(self) -> int:
        return 0  # SMTP says nothing after the hand-over; bounces come back as (ignored) mail


def header(mail, name: str) -> str:
    return " ".join(v.strip() for v in mail.headers.get(name.lower(), ()))


def auto_reason(mail) -> str:
    """Why a mail is automatic (RFC 3834 Auto-Submitted, bounces, vacation replies), or ""."""
    submitted = header(mail, "Auto-Submitted").lower()
    if submitted and submitted != "no":
        return f"auto-submitted: {submitted}"
    sender = parseaddr(mail.from_)[1] or mail.from_
    if AUTO_SENDERS.match(sender or ""):
        return f"automatic sender: {sender}"
    if "report-type=delivery-status" in header(mail, "Content-Type").replace(" ", "").lower():
        return "delivery status notification"
    if header(mail, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return "precedence: " + header(mail, "Precedence").lower()
    if header(mail, "X-Autoreply") or header(mail, "X-Autorespond") or header(mail, "Return-Path") == "<>":
        return "auto-reply headers"
    return ""


def own_text(body: str) -> str:
    """The citizen's own words: quoted history below a reply is dropped."""
    lines = []
    for line in (body or "").splitlines():
        if line.startswith(">") or QUOTE_START.match(line.strip()):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def to_inbound(mail, host: str) -> Inbound:
    message_id = header(mail, "Message-ID") or f"<imap-{mail.uid}@{host}>"
    threads = " ".join(re.findall(r"<[^<>\s]+>", header(mail, "In-Reply-To") + " " + header(mail, "References")))
    body = mail.text or strip_tags(mail.html or "")
    return Inbound(
        channel=Channel.EMAIL,
        address=mail.from_values.email if mail.from_values else mail.from_,
        name=mail.from_values.name if mail.from_values else "",
        provider_id=message_id,
        subject=mail.subject or "",
        text=own_text(body),
        in_reply_to=threads,
        auto=auto_reason(mail),
        files=[(att.filename, att.payload) for att in mail.attachments if att.payload],
    )
