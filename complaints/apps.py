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

        # Every change to the reference data the submission path keeps in memory (lapor/refcache.py).
        from django.apps import apps
        from django.db.models.signals import post_delete, post_save

        from lapor import refcache

        # A deleted report leaves its status's count (complaints/status_counts.py).
        from . import status_counts
        from .models import Report

        post_delete.connect(
            lambda sender, instance, **kw: instance.sandbox_id is None and status_counts.moved(instance.status, None),
            sender=Report,
            weak=False,
            dispatch_uid="status-counts-delete",
        )
        # A deleted report leaves its holder's figures (complaints/holders.py).
        from . import holders

        post_delete.connect(
            lambda sender, instance, **kw: instance.sandbox_id is None and holders.changed(instance.agency_id),
            sender=Report,
            weak=False,
            dispatch_uid="holders-delete",
        )
        # A deleted handling row (its report deleted) leaves its subtrees' queues (complaints/queue_cache.py).
        from .models import ReportAgency

        post_delete.connect(
            lambda sender, instance, **kw: not instance.is_practice and holders.handlings_changed([instance.agency_id]),
            sender=ReportAgency,
            weak=False,
            dispatch_uid="queue-cache-delete",
        )
        # A deleted public report leaves the public map's grid when the deletion commits (places.py).
        from .places import forget_map_point

        def forget_deleted(sender, instance, **kw):
            for point in {getattr(instance, "_saved_map_point", None), instance._loaded_map_point()}:
                if isinstance(point, tuple):
                    forget_map_point(point)

        post_delete.connect(forget_deleted, sender=Report, weak=False, dispatch_uid="map-grid-delete")
        # A deleted report leaves the pages kept for anonymous visitors (lapor/page_cache.py).
        from lapor import page_cache

        post_delete.connect(
            lambda sender, instance, **kw: instance._loaded_public() != (False, None) and page_cache.report_changed(),
            sender=Report,
            weak=False,
            dispatch_uid="page-cache-delete",
        )
        # A unit holding open reports is not retired (agencies/units.py asks, without importing complaints).
        from agencies import units

        from .unit_reports import count_open

        if count_open not in units.OPEN_REPORT_COUNTERS:
            units.OPEN_REPORT_COUNTERS.append(count_open)
        # The nav's unread badge, read with the request's user (accounts/request_user.py).
        from accounts.request_user import add_fact

        from .notifications import note_unread, unread_expression

        add_fact("unread", unread_expression, note_unread)
        for label in REFERENCE_MODELS:
            if apps.is_installed(label.split(".")[0]):
                model = apps.get_model(label)
                post_save.connect(refcache.bump, sender=model, dispatch_uid=f"refcache-save-{label}")
                post_delete.connect(refcache.bump, sender=model, dispatch_uid=f"refcache-delete-{label}")


REFERENCE_MODELS = [
    "agencies.Region",
    "agencies.Agency",
    "complaints.Category",
    "complaints.RoutingRule",
    "complaints.CalendarDay",
    "complaints.ClockLimit",
    "complaints.InternalTarget",  # complaints/sop.py: agencies' own targets beside the legal deadline
    "api.Webhook",
]
