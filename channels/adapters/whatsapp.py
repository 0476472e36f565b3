"""WhatsApp Business Cloud API: the webhook (verification handshake, X-Hub-Signature-256, text and
image messages, delivery statuses) and the send endpoint (POST {base}/{phone number id}/messages).

The base URL (LAPOR_WHATSAPP_API_URL, with the Graph API version) comes from the settings, so the
tests point it at a fake server on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request

from django.conf import settings

from complaints.models import Channel

from ..conversation import Inbound, store


class WhatsAppAdapter:
    channel = Channel.WHATSAPP

    def poll(self) -> int:
        return 0  # Meta pushes to the webhook

    def _request(self, url: str, payload: dict | None = None):
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            url,
            data=data,
            method="POST" if data is not None else "GET",
            headers={"Authorization": f"Bearer {settings.LAPOR_WHATSAPP_TOKEN}", "Content-Type": "application/json"},
        )
        return urllib.request.urlopen(request, timeout=settings.LAPOR_CHANNEL_TIMEOUT)

    def base(self) -> str:
        return settings.LAPOR_WHATSAPP_API_URL.rstrip("/")

    def send(self, message) -> str:
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.address,
            "type": "text",
            "text": {"preview_url": False, "body": message.text},
        }
        with self._request(f"{self.base()}/{settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID}/messages", payload) as response:
            answer = json.loads(response.read() or b"{}")
        return answer["messages"][0]["id"]

    def download(self, ref: dict) -> tuple[str, bytes]:
        """A media id → its bytes: the Graph API gives a short-lived URL, fetched with the token."""
        with self._request(f"{self.base()}/{ref['id']}") as response:
            meta = json.loads(response.read())
        with self._request(meta["url"]) as response:
            content = response.read(settings.LAPOR_ATTACHMENT_MAX_BYTES + 1)
        extension = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}.get(ref.get("mime_type"), "")
        return f"whatsapp-{ref['id']}{extension}", content

    def refresh_statuses(self) -> int:
        return 0  # statuses arrive on the webhook


def signature_ok(body: bytes, header: str) -> bool:
    """X-Hub-Signature-256: "sha256=" + HMAC-SHA256 of the raw body with the app secret."""
    secret = settings.LAPOR_WHATSAPP_APP_SECRET
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def receive(payload: dict) -> tuple[int, int]:
    """Store the messages of one webhook call and record its statuses; (messages, statuses)."""
    from ..delivery import record_status

    stored = statuses = 0
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []}
            for msg in value.get("messages") or []:
                if store(to_inbound(msg, names)) is not None:
                    stored += 1
            for status in value.get("statuses") or []:
                errors = status.get("errors") or [{}]
                statuses += record_status(
                    Channel.WHATSAPP, status.get("id", ""), status.get("status", ""), error=errors[0].get("title", "")
                )
    return stored, statuses


def to_inbound(msg: dict, names: dict) -> Inbound:
    kind = msg.get("type")
    text, media = "", []
    if kind == "text":
        text = (msg.get("text") or {}).get("body", "")
    elif kind in ("image", "document"):
        item = msg.get(kind) or {}
        text = item.get("caption", "")
        media = [{"id": item.get("id"), "mime_type": item.get("mime_type", "")}]
    elif kind == "button":
        text = (msg.get("button") or {}).get("text", "")
    sender = msg.get("from", "")
    return Inbound(
        channel=Channel.WHATSAPP,
        address=sender,
        name=names.get(sender, ""),
        provider_id=msg.get("id", ""),
        text=text,
        data={"type": kind, "media": media} if media else {"type": kind},
    )
