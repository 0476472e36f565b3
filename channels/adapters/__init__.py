"""The channel adapters: each is off until its settings are given (see README, "Messaging channels").

An adapter turns what its provider received into `conversation.Inbound` rows (`poll` for the
channels LAPOR fetches from, a webhook view for those that push), sends one outbound `Message`
(`send` returns the provider's id, raises on failure) and may read delivery statuses back
(`refresh_statuses`)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail.message import make_msgid

from complaints.models import Channel


def configured() -> dict:
    """The adapters whose settings are given, by channel."""
    result = {}
    if settings.LAPOR_EMAIL_IMAP_URL:
        from .email import EmailAdapter

        result[Channel.EMAIL] = EmailAdapter()
    if settings.LAPOR_SMS_BACKEND == "gammu":
        from .gammu import GammuAdapter

        result[Channel.SMS] = GammuAdapter()
    elif settings.LAPOR_SMS_BACKEND == "http":
        from .sms_http import HttpSmsAdapter

        result[Channel.SMS] = HttpSmsAdapter()
    if settings.LAPOR_WHATSAPP_TOKEN and settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID:
        from .whatsapp import WhatsAppAdapter

        result[Channel.WHATSAPP] = WhatsAppAdapter()
    return result


def get(channel: str):
    adapter = configured().get(channel)
    if adapter is None:
        raise NotConfigured(channel)
    return adapter


class NotConfigured(Exception):
    pass


# The longest text one message may carry: WhatsApp's text limit; e-mail has none; SMS below.
LIMITS = {Channel.WHATSAPP: 4096, Channel.EMAIL: None}


def length_limit(channel: str, text: str = "") -> int | None:
    """How many characters of `text` one outbound message may carry. SMS through Gammu: one
    concatenated SMS of LAPOR_SMS_MAX_PARTS parts in `text`'s alphabet (GSM-7 or UCS-2); through a
    hosted gateway: LAPOR_SMS_MAX_LENGTH. Longer answers are split into numbered messages."""
    if channel == Channel.SMS:
        if settings.LAPOR_SMS_BACKEND == "gammu":
            from .. import sms

            return sms.capacity(text, settings.LAPOR_SMS_MAX_PARTS)
        return settings.LAPOR_SMS_MAX_LENGTH
    return LIMITS.get(channel)


def outbound_text(channel: str, text: str) -> str:
    """SMS: LAPOR's typography (curly quotes, dashes) in plain characters, so an answer stays in the
    GSM alphabet (160 characters an SMS, not 70)."""
    if channel == Channel.SMS:
        from .. import sms

        return sms.plain(text)
    return text


def new_message_id(channel: str) -> str:
    """E-mail: our own Message-ID, known before sending (replies thread on it); others: the
    provider's id, filled in when it accepted the message."""
    if channel != Channel.EMAIL:
        return ""
    return make_msgid("lapor", domain=email_domain())


def email_domain() -> str:
    address = settings.LAPOR_EMAIL_ADDRESS or settings.DEFAULT_FROM_EMAIL
    return address.rsplit("@", 1)[-1].strip("> ") or "lapor.invalid"
