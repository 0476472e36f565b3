"""Local stand-ins for providers, on loopback: the WhatsApp Cloud API's send and media endpoints and
a hosted SMS gateway. Used by the tests and by `manage.py channel_simulate` (so `make run` can show
a channel without any external service); the adapter code talking to them is the production code."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeProvider:
    """A tiny HTTP server recording what LAPOR sends. WhatsApp: POST /<phone id>/messages answers
    {"messages": [{"id": "wamid.…"}]}; GET /<media id> answers {"url": …}; GET /media/<id> the
    bytes. SMS gateway: POST /sms answers {"id": "sms-…"}. `down = True` answers 503 to everything."""

    def __init__(self, token: str = ""):
        self.token = token
        self.sent: list[dict] = []
        self.media: dict[str, tuple[str, bytes]] = {}
        self.down = False
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: bytes, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _refused(self) -> bool:
                if provider.down:
                    self._answer(503, b'{"error": "unavailable"}')
                    return True
                if provider.token and self.headers.get("Authorization") != f"Bearer {provider.token}":
                    self._answer(401, b'{"error": "unauthorized"}')
                    return True
                return False

            def do_POST(self):
                if self._refused():
                    return
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with provider.lock:
                    provider.sent.append({"path": self.path, **payload})
                    n = len(provider.sent)
                if self.path.endswith("/messages"):
                    self._answer(200, json.dumps({"messages": [{"id": f"wamid.FAKE{n}"}]}).encode())
                else:
                    self._answer(200, json.dumps({"id": f"sms-{n}"}).encode())

            def do_GET(self):
                if self._refused():
                    return
                key = self.path.strip("/")
                if key.startswith("media/") and key[6:] in provider.media:
                    mime, data = provider.media[key[6:]]
                    self._answer(200, data, mime)
                elif key in provider.media:
                    url = f"{provider.url}/media/{key}"
                    self._answer(200, json.dumps({"url": url, "mime_type": provider.media[key][0]}).encode())
                else:
                    self._answer(404, b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def texts(self, to: str | None = None) -> list[str]:
        """The texts sent so far (to one number), WhatsApp or SMS gateway alike."""
        result = []
        for item in self.sent:
            if to is None or item.get("to") == to:
                result.append(item["text"]["body"] if isinstance(item.get("text"), dict) else item.get("text", ""))
        return result


def whatsapp_payload(sender: str, text: str = "", *, message_id: str, name: str = "", image: str = "") -> dict:
    """A webhook body as the WhatsApp Cloud API posts it for one incoming message."""
    message = {"from": sender, "id": message_id, "timestamp": "1767225600"}
    if image:
        message.update(type="image", image={"id": image, "mime_type": "image/png", "caption": text})
    else:
        message.update(type="text", text={"body": text})
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA-ID",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "1708", "phone_number_id": "PHONE-ID"},
                            "contacts": [{"profile": {"name": name}, "wa_id": sender}],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }


def whatsapp_status_payload(message_id: str, status: str, recipient: str) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA-ID",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "statuses": [
                                {
                                    "id": message_id,
                                    "status": status,
                                    "timestamp": "1767225601",
                                    "recipient_id": recipient,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
