"""SMS through a hosted HTTP gateway: a small, generic contract most Indonesian SMS providers can be
configured for (or fronted by a few lines of glue).

Outbound: POST LAPOR_SMS_HTTP_URL with JSON {"to", "text", "ref"} and "Authorization: Bearer
LAPOR_SMS_HTTP_TOKEN"; a 2xx answer may carry {"id": "..."}, the provider's message id.
Inbound and delivery reports: the gateway POSTs JSON to /kanal/sms/ with the same bearer token —
{"id", "from", "text"} for a message, {"id", "status": "delivered"|"failed"} for a report."""

from __future__ import annotations

import json
import urllib.request

from django.conf import settings

from complaints.models import Channel


class HttpSmsAdapter:
    channel = Channel.SMS

    def poll(self) -> int:
        return 0  # the gateway pushes to the webhook

    def send(self, message) -> str:
        body = json.dumps({"to": message.address, "text": message.text, "ref": str(message.pk)}).encode()
        request = urllib.request.Request(
            settings.LAPOR_SMS_HTTP_URL,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.LAPOR_SMS_HTTP_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=settings.LAPOR_CHANNEL_TIMEOUT) as response:
            raw = response.read()
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        return str(answer.get("id") or "") if isinstance(answer, dict) else ""

    def refresh_statuses(self) -> int:
        return 0  # reports arrive on the webhook
