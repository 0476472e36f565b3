"""The citizen's conversation on the admin report page, for staff who may see the report (the
report admin checked that); the sender's number or address only for those who may see the
reporter's identity (access.reporter_shown_to: never agency staff on an Anonim report)."""

from django.utils.translation import gettext_lazy as _

from .models import Conversation, Message


def conversation_panel(request, report, reporter_shown):
    conversation = Conversation.objects.filter(report=report).select_related("contact").first()
    if conversation is None:
        return None
    messages = list(
        Message.objects.filter(conversation=conversation)
        .only("direction", "text", "state", "created_at", "status_at", "error", "channel", "conversation_id")
        .order_by("created_at", "pk")
    )
    return (
        "admin/channels/_conversation.html",
        {
            "conversation": conversation,
            "messages": messages,
            "contact": conversation.contact.address if reporter_shown["full"] else str(_("Anonim")),
            "channel": conversation.get_channel_display(),
        },
    )
