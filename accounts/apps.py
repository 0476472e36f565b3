from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Akun")

    def ready(self):
        from lapor import csrf_mask

        from . import signals  # noqa: F401

        csrf_mask.install()  # CSRF masks drawn with one read of the random source (lapor/csrf_mask.py)
