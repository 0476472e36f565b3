from django.utils.functional import SimpleLazyObject


def notifications(request):
    """The nav's unread badge, once per request, only when a template shows it: on a GET, the count read
    with the request's user (accounts/request_user.py); after a POST, which may have read or written
    some, one bounded COUNT."""

    def unread():
        cached = getattr(request, "_lapor_unread", None)
        if cached is None:
            from .notifications import unread_count

            user = getattr(request, "user", None)
            count = getattr(user, "lapor_unread_at_start", None) if request.method in ("GET", "HEAD") else None
            if count is None:
                count = unread_count(user)
            cached = request._lapor_unread = "99+" if count > 99 else (str(count) if count else "")
        return cached

    return {"unread_notifications": SimpleLazyObject(unread)}


def maps(request):
    """The tile server of every map (settings.LAPOR_MAP_TILE_URL, LAPOR_MAP_ATTRIBUTION)."""
    from django.conf import settings

    return {"map_tiles": settings.LAPOR_MAP_TILE_URL, "map_attribution": settings.LAPOR_MAP_ATTRIBUTION}
