"""manage.py channel_simulate [--channel whatsapp|sms] [--sender NUMBER] [MESSAGE ...]

Plays the citizen's side of a messaging channel without any external service: each MESSAGE goes
through the channel's real webhook (a signed WhatsApp Cloud API call, or the SMS gateway's call)
and LAPOR's answers are sent by the real adapter to a fake provider on loopback, then printed.
Without MESSAGE it reads one message per line from standard input. Staff answers given in the
admin meanwhile are printed on the next run (they wait in the outbox until the channel is there).

For the demo (`make run`) only: it refuses to run when the channel is configured for real."""

import json
import secrets
import sys

from django.core.management.base import BaseCommand, CommandError
from django.test import Client, override_settings
from django.urls import reverse

from channels import delivery
from channels.fakes import FakeProvider, sign, whatsapp_payload
from complaints.models import Channel


class Command(BaseCommand):
    help = "Play a citizen writing to LAPOR by WhatsApp or SMS, against the real adapter code."

    def add_arguments(self, parser):
        parser.add_argument("messages", nargs="*", help="Messages the citizen sends, in order.")
        parser.add_argument("--channel", choices=[Channel.WHATSAPP, Channel.SMS], default=Channel.WHATSAPP)
        parser.add_argument("--sender", default="6281234567890", help="The citizen's number (default 6281234567890).")
        parser.add_argument("--name", default="Warga Simulasi", help="The WhatsApp profile name.")

    def handle(self, *args, messages, channel, sender, name, **options):
        from django.conf import settings

        if channel == Channel.WHATSAPP and settings.LAPOR_WHATSAPP_TOKEN:
            raise CommandError("WhatsApp is configured for real here; the simulator would take its messages.")
        if channel == Channel.SMS and settings.LAPOR_SMS_BACKEND:
            raise CommandError("SMS is configured for real here; the simulator would take its messages.")
        secret = secrets.token_hex(16)
        with FakeProvider(token=secret) as fake:
            overrides = (
                {
                    "LAPOR_WHATSAPP_API_URL": fake.url,
                    "LAPOR_WHATSAPP_TOKEN": secret,
                    "LAPOR_WHATSAPP_PHONE_NUMBER_ID": "SIMULATOR",
                    "LAPOR_WHATSAPP_APP_SECRET": secret,
                }
                if channel == Channel.WHATSAPP
                else {
                    "LAPOR_SMS_BACKEND": "http",
                    "LAPOR_SMS_HTTP_URL": f"{fake.url}/sms",
                    "LAPOR_SMS_HTTP_TOKEN": secret,
                }
            )
            with override_settings(**overrides):
                client = Client(SERVER_NAME="localhost")
                self.flush(fake, sender)
                lines = messages or (line.rstrip("\n") for line in sys.stdin)
                for text in lines:
                    if not text.strip():
                        continue
                    self.stdout.write(f"{sender} → LAPOR: {text}")
                    response = self.post(client, channel, sender, name, text, secret)
                    if response.status_code != 200:
                        raise CommandError(f"The webhook answered {response.status_code}: {response.content[:200]!r}")
                    self.flush(fake, sender)

    def post(self, client, channel, sender, name, text, secret):
        message_id = f"sim-{secrets.token_hex(8)}"
        if channel == Channel.WHATSAPP:
            body = json.dumps(whatsapp_payload(sender, text, message_id=f"wamid.{message_id}", name=name)).encode()
            return client.post(
                reverse("channels:whatsapp"),
                data=body,
                content_type="application/json",
                headers={"X-Hub-Signature-256": sign(secret, body)},
            )
        return client.post(
            reverse("channels:sms"),
            data={"id": message_id, "from": sender, "text": text},
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}"},
        )

    def flush(self, fake, sender):
        """Process what came in and send what is queued (also with Celery on a broker), then print
        what the citizen's phone received."""
        before = len(fake.sent)
        delivery.process_pending(older_than=delivery.dt.timedelta(0))
        delivery.send_pending(older_than=delivery.dt.timedelta(0))
        for item in fake.sent[before:]:
            to = item.get("to")
            text = item["text"]["body"] if isinstance(item.get("text"), dict) else item.get("text", "")
            self.stdout.write(f"LAPOR → {to}: {text}")
