from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Instansi")

    def ready(self):
        # Whether the request's user holds any membership, read with their row (accounts/request_user.py).
        from accounts.request_user import add_fact

        from . import roles

        add_fact("holds_membership", roles.holds_membership_expression, roles.note_holds_membership)
