"""The admin site: Django's, with the list of every app and model (the navigation sidebar's) built
only when a page shows it.

Django builds that list for every admin page in each_context — every registered admin asked for its
permissions, two permission queries — and the report queues, the pages staff load most, do not show
it (their template drops the sidebar for the list's width): a tenth of a queue page's CPU (#15).
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.functional import SimpleLazyObject


class LaporAdminSite(admin.AdminSite):
    def get_app_list(self, request, app_label=None):
        """Django's list, built on first use (a template iterating it, `if not app_list`)."""
        return SimpleLazyObject(lambda: super(LaporAdminSite, self).get_app_list(request, app_label))


class LaporAdminConfig(AdminConfig):
    default_site = "lapor.admin_site.LaporAdminSite"
