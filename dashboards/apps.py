from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dasbor dan statistik")

    def ready(self):
        from complaints.signals import report_dimensions_changed

        from .tasks import rebuild_the_reports_days

        report_dimensions_changed.connect(rebuild_the_reports_days, dispatch_uid="dashboards.rebuild_the_reports_days")
