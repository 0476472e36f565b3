"""API keys of integrated applications, their webhooks, and the external ids of the reports they pushed."""

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from complaints.models import Report

KEY_PREFIX = "lapor_"


def hash_secret(secret: str) -> str:
    # The secret is 32 random bytes: a plain SHA-256 is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def authenticate(self, raw: str):
        """The active key for a raw "lapor_<prefix>_<secret>" string, or None."""
        raw = (raw or "").strip()
        if not raw.startswith(KEY_PREFIX) or raw.count("_") < 2:
            return None
        prefix, _sep, secret = raw[len(KEY_PREFIX) :].partition("_")
        key = self.select_related("agency", "service_user").filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.hashed_secret, hash_secret(secret)):
            return None
        return key


class ApiKey(models.Model):
    """A key of one integrated application; it acts within its agency's subtree only.

    Each key has its own service user (inactive: it can never log in) holding the agency_admin role
    at the key's agency: workflow functions check roles, so the API's follow-ups and answers pass the
    same checks as the admin's and the timeline records which application acted."""

    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("nama aplikasi"), max_length=120)
    is_sandbox = models.BooleanField(
        _("kunci sandbox"),
        default=False,
        help_text=_(
            "Mode uji: setiap panggilan diperiksa dan dijawab seperti biasa, tetapi tidak ada yang disimpan "
            "(tidak ada laporan, tindakan, webhook atau notifikasi)."
        ),
    )
    prefix = models.CharField(_("awalan"), max_length=16, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=64, editable=False)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, editable=False, on_delete=models.PROTECT, related_name="api_key"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dibuat oleh"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("dibuat"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("dicabut"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("terakhir dipakai"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("kunci API")
        verbose_name_plural = _("kunci API")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({KEY_PREFIX}{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, *, agency: Agency, name: str, created_by=None, is_sandbox: bool = False) -> tuple["ApiKey", str]:
        """Create a key and its service user; returns (key, raw key). The raw key is never stored."""
        from accounts.models import User
        from agencies.models import Membership

        prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
        user = User.objects.create_user(
            f"api-{prefix}@api.lapor.invalid", None, full_name=f"API: {name}"[:150], is_active=False
        )
        Membership.objects.create(user=user, agency=agency, role=cls.role_for(created_by, agency))
        key = cls.objects.create(
            agency=agency,
            name=name,
            prefix=prefix,
            hashed_secret=hash_secret(secret),
            service_user=user,
            created_by=created_by,
            is_sandbox=is_sandbox,
        )
        return key, f"{KEY_PREFIX}{prefix}_{secret}"

    @staticmethod
    def role_for(creator, agency: Agency) -> str:
        """A key's scope is at most its creator's: it acts as agency admin only for a national admin or
        an admin of the agency or one above it. A developer's key gets the developer role, which reads
        no report content and takes no action; a key made without a person (a command) is the agency's."""
        from agencies.models import Membership
        from agencies.roles import is_national_admin

        Role = Membership.Role
        if creator is None or is_national_admin(creator):
            return Role.AGENCY_ADMIN
        admin_of = creator.memberships.filter(role=Role.AGENCY_ADMIN).select_related("agency")
        if agency.is_in_any_subtree_of(m.agency for m in admin_of):
            return Role.AGENCY_ADMIN
        return Role.DEVELOPER

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
            if self.service_user_id:
                self.service_user.memberships.all().delete()

    def touch(self) -> None:
        """Record use, at most one write a minute per key (the cache gates the UPDATE)."""
        from django.core.cache import cache

        if not cache.add(f"api-touch:{self.prefix}", 1, timeout=60):
            return
        now = timezone.now()
        ApiKey.objects.filter(pk=self.pk).filter(
            models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lt=now - dt.timedelta(minutes=1))
        ).update(last_used_at=now)


class ExternalReference(models.Model):
    """A report pushed by an integrated application, under that application's own id (idempotency)."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="external_reference")
    source_agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    api_key = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    external_id = models.CharField(_("id eksternal"), max_length=100)
    # SHA-256 of the pushed body (canonical JSON): the same id with another body is refused (409).
    payload_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Open311 fields LAPOR's report has no place for, returned as the client sent them.
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    media_url = models.URLField(_("URL media"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("referensi eksternal")
        verbose_name_plural = _("referensi eksternal")
        constraints = [
            models.UniqueConstraint(fields=["source_agency", "external_id"], name="external_reference_unique")
        ]

    def __str__(self):
        return f"{self.source_agency_id}:{self.external_id} → {self.report_id}"


WEBHOOK_SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: "whsec_" + base64 of 24 random bytes."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_secret_bytes(secret: str) -> bytes:
    """The HMAC key of a secret, as the Standard Webhooks libraries read it (base64 after "whsec_")."""
    return base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)


def validate_webhook_secret(value: str) -> None:
    try:
        key = webhook_secret_bytes(value)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < 16:
        raise ValidationError(
            _("Rahasia harus “whsec_” diikuti base64 dari paling sedikit 16 byte acak (biarkan yang dibuat otomatis).")
        )


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


class Webhook(models.Model):
    """A URL that receives each status change of the reports its agency's subtree handles."""

    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("rahasia HMAC"),
        max_length=128,
        default=new_webhook_secret,
        validators=[validate_webhook_secret],
        help_text=_("Kunci tanda tangan Standard Webhooks (whsec_…, HMAC-SHA256)."),
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(_("dibuat"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhook")
        indexes = [models.Index(fields=["agency"], name="webhook_agency", condition=models.Q(is_active=True))]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One payload for one webhook: an outbox row written inside the action's transaction, so a
    broker outage loses nothing (the sweep re-queues what was never delivered)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # The Standard Webhooks webhook-id: the same on every retry and on a resend from the admin.
    message_id = models.CharField(max_length=40, default=new_message_id, db_index=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    # After a failed attempt: not before this moment (exponential backoff of the sweep).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set when finished: delivered (2xx) or given up (4xx, refused target); last_status tells which.
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("pengiriman webhook")
        verbose_name_plural = _("pengiriman webhook")
        indexes = [
            # The sweep: undelivered rows, oldest first.
            models.Index(
                fields=["created_at"], name="webhook_delivery_pending", condition=models.Q(done_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.webhook_id} {self.payload.get('tracking_no')} {self.payload.get('status')}"


class IdempotencyRecord(models.Model):
    """The stored answer of an API action sent with an Idempotency-Key: a retry gets it again."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_record_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_record_created")]

    def __str__(self):
        return f"{self.api_key_id}:{self.key}"
