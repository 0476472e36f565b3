"""One conversation model for every messaging channel (e-mail, SMS, WhatsApp).

A `Contact` is one citizen's address on one channel and the LAPOR account the channel made for
them; a `Conversation` collects a report and then follows it; a `Message` is one inbound or
outbound message. Inbound rows are written before anything else happens (idempotent on the
provider's id), outbound rows are an outbox written in the transaction that caused them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel, Event, Report, private_storage

CHANNELS = [Channel.EMAIL, Channel.SMS, Channel.WHATSAPP]
CHANNEL_CHOICES = [(c.value, c.label) for c in CHANNELS]


class Contact(models.Model):
    """A citizen's address (phone number, e-mail address) on one channel, with the account that
    files their reports. Never linked to an existing web account: a sender address proves little."""

    channel = models.CharField(_("kanal"), max_length=16, choices=CHANNEL_CHOICES)
    address = models.CharField(_("alamat/nomor"), max_length=254)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_contact")
    name = models.CharField(_("nama"), max_length=150, blank=True)
    language = models.CharField(_("bahasa"), max_length=8, default="id")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("kontak kanal")
        verbose_name_plural = _("kontak kanal")
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="channel_contact_unique")]

    def __str__(self):
        # Never the address: admin pages and logs name objects by this (an Anonim sender's number).
        return f"{self.get_channel_display()} #{self.pk}"


class Conversation(models.Model):
    class State(models.TextChoices):
        COLLECTING = "collecting", _("Mengumpulkan data laporan")
        FILED = "filed", _("Laporan tercatat")
        CLOSED = "closed", _("Selesai")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    channel = models.CharField(_("kanal"), max_length=16, choices=CHANNEL_CHOICES)
    report = models.OneToOneField(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversation")
    state = models.CharField(_("keadaan"), max_length=12, choices=State.choices, default=State.COLLECTING)
    # What a new conversation has collected so far: body, flags, region candidates, the pending question.
    draft = models.JSONField(default=dict, blank=True)
    language = models.CharField(_("bahasa"), max_length=8, default="id")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("percakapan")
        verbose_name_plural = _("percakapan")
        constraints = [
            # A sender has at most one conversation collecting a new report.
            models.UniqueConstraint(
                fields=["contact"], condition=Q(state="collecting"), name="channel_one_collecting_conversation"
            )
        ]
        indexes = [models.Index(fields=["contact", "-updated_at"], name="channel_conversation_contact")]

    def __str__(self):
        return f"{self.contact} #{self.pk}"


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("Masuk")
        OUT = "out", _("Keluar")

    class State(models.TextChoices):
        # inbound
        PENDING = "pending", _("Menunggu diproses")
        PROCESSED = "processed", _("Diproses")
        IGNORED = "ignored", _("Diabaikan (balasan otomatis/pantulan)")
        LIMITED = "limited", _("Diabaikan (batas pesan)")
        # outbound
        QUEUED = "queued", _("Dalam antrean")
        SENDING = "sending", _("Sedang dikirim")
        SENT = "sent", _("Terkirim ke penyedia")
        DELIVERED = "delivered", _("Sampai ke penerima")
        READ = "read", _("Dibaca")
        FAILED = "failed", _("Gagal")

    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.CharField(_("kanal"), max_length=16, choices=CHANNEL_CHOICES)
    direction = models.CharField(_("arah"), max_length=3, choices=Direction.choices)
    address = models.CharField(_("alamat/nomor"), max_length=254)
    name = models.CharField(_("nama pengirim"), max_length=150, blank=True)
    # Inbound: the provider's id (Message-ID, Gammu inbox ID, wamid); outbound: the id the provider gave.
    provider_id = models.CharField(max_length=255, blank=True)
    subject = models.CharField(_("subjek"), max_length=255, blank=True)
    text = models.TextField(_("isi"), blank=True)
    # E-mail threading: the Message-ID this message answers (inbound), or the one we sent (outbound).
    in_reply_to = models.CharField(max_length=255, blank=True)
    # Flags the adapter saw (auto-submitted, bounce), media references, the part number of a split text.
    data = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("keadaan"), max_length=10, choices=State.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The workflow event an outbound message tells the citizen about.
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pesan kanal")
        verbose_name_plural = _("pesan kanal")
        ordering = ["created_at", "pk"]
        constraints = [
            # Every inbound message is stored once: a redelivery hits this constraint.
            models.UniqueConstraint(
                fields=["channel", "direction", "provider_id"],
                condition=~Q(provider_id=""),
                name="channel_message_provider_once",
            )
        ]
        indexes = [
            # The sweeps: inbound waiting to be processed, outbound waiting to be sent.
            models.Index(fields=["state", "created_at"], name="channel_message_state"),
            # Rate limits: one sender's recent messages.
            models.Index(fields=["channel", "address", "created_at"], name="channel_message_sender"),
            models.Index(fields=["conversation", "created_at"], name="channel_message_conversation"),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} {self.get_channel_display()} #{self.pk}"

    @property
    def is_outbound(self) -> bool:
        return self.direction == self.Direction.OUT


def message_file_path(instance, filename):
    return f"channels/{timezone.now():%Y/%m}/{filename}"


class MessageFile(models.Model):
    """A picture or document that came with an inbound message; attached to the report when filed."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(storage=private_storage, upload_to=message_file_path, max_length=200)
    name = models.CharField(max_length=200)
    attached = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("berkas pesan")
        verbose_name_plural = _("berkas pesan")

    def __str__(self):
        return self.name
