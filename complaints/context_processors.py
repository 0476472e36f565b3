from django.utils.functional import SimpleLazyObject


def notifications(request):
    """The nav's unread badge: one bounded COUNT, only when a template shows it, once per request."""

    def unread():
        cached = getattr(request, "_lapor_unread", None)
        if cached is None:
            from .notifications import unread_count

            count = unread_count(getattr(request, "user", None))
            cached = request._lapor_unread = "99+" if count > 99 else (str(count) if count else "")
        return cached

    return {"unread_notifications": SimpleLazyObject(unread)}


def maps(request):
    """The tile server of every map (settings.LAPOR_MAP_TILE_URL, LAPOR_MAP_ATTRIBUTION)."""
    from django.conf import settings

    return {"map_tiles": settings.LAPOR_MAP_TILE_URL, "map_attribution": settings.LAPOR_MAP_ATTRIBUTION}
