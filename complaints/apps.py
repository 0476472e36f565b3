from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Pengaduan")

    def ready(self):
        from django.conf import settings
        from PIL import Image

        # Pillow refuses to open anything over twice this (DecompressionBombError), wherever it is used.
        Image.MAX_IMAGE_PIXELS = settings.LAPOR_IMAGE_MAX_PIXELS
