from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Integrasi dan data terbuka")

    def ready(self):
        from complaints import notifications

        from . import opendata, webhooks

        notifications.register_event_listener(webhooks.queue_for_event)
        notifications.register_event_listener(opendata.on_event)
