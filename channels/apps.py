from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    verbose_name = _("Kanal pesan")

    def ready(self):
        from complaints import admin as complaints_admin
        from complaints import notifications

        from . import admin, conversation

        notifications.register_event_listener(conversation.on_event)
        complaints_admin.register_report_panel(admin.conversation_panel)
