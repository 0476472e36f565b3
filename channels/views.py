"""Webhooks of the channels that push: WhatsApp Cloud API and a hosted SMS gateway.

A message is stored before the provider hears 200 (so nothing is lost when Redis or the
processing is down: the sweep handles it later); a failure to store answers 500 and the provider
delivers again, which the provider id makes harmless."""

import hmac
import json
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from complaints.models import Channel

from .adapters import whatsapp
from .conversation import Inbound, store
from .delivery import record_status

log = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request):
    if not (settings.LAPOR_WHATSAPP_TOKEN and settings.LAPOR_WHATSAPP_APP_SECRET):
        return HttpResponseNotFound()
    if request.method == "GET":
        # The verification handshake: echo hub.challenge when hub.verify_token is ours.
        token = request.GET.get("hub.verify_token", "")
        expected = settings.LAPOR_WHATSAPP_VERIFY_TOKEN
        if request.GET.get("hub.mode") == "subscribe" and expected and hmac.compare_digest(token, expected):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden()
    if not whatsapp.signature_ok(request.body, request.headers.get("X-Hub-Signature-256", "")):
        return HttpResponseForbidden()
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "invalid JSON"}, status=400)
    stored, statuses = whatsapp.receive(payload if isinstance(payload, dict) else {})
    return JsonResponse({"stored": stored, "statuses": statuses})


@csrf_exempt
@require_http_methods(["POST"])
def sms_webhook(request):
    """The hosted SMS gateway's messages and delivery reports (see adapters/sms_http.py)."""
    token = settings.LAPOR_SMS_HTTP_TOKEN
    if settings.LAPOR_SMS_BACKEND != "http" or not token:
        return HttpResponseNotFound()
    if not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return HttpResponseForbidden()
    try:
        payload = json.loads(request.body) if request.content_type == "application/json" else request.POST.dict()
    except ValueError:
        return JsonResponse({"error": "invalid JSON"}, status=400)
    if not isinstance(payload, dict) or not payload.get("id"):
        return JsonResponse({"error": "id is required"}, status=400)
    if payload.get("status"):
        changed = record_status(
            Channel.SMS, str(payload["id"]), str(payload["status"]), error=str(payload.get("error", ""))
        )
        return JsonResponse({"updated": changed})
    if not payload.get("from"):
        return JsonResponse({"error": "from is required"}, status=400)
    message = store(
        Inbound(
            channel=Channel.SMS,
            address=str(payload["from"]),
            text=str(payload.get("text", "")),
            provider_id=f"http:{payload['id']}",
            data={"gateway": "http"},
        )
    )
    return JsonResponse({"stored": message is not None})
