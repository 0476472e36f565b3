"""Site-wide views that belong to no app: the language switch and /favicon.ico."""

from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils import translation
from django.views.decorators.http import require_GET
from django.views.i18n import set_language as django_set_language


def set_language(request):
    """Django's set_language, run in the language of the page the visitor comes from.

    /i18n/setlang/ is outside i18n_patterns, so with prefix_default_language=False the request is in
    Indonesian, and Django then cannot resolve the English page (/en/laporan/) to translate it back:
    the visitor would stay on /en/. Activating the `next` page's own language lets it be translated."""
    next_url = request.POST.get("next", request.GET.get("next")) or request.headers.get("referer", "")
    language = translation.get_language_from_path(urlsplit(next_url).path) or settings.LANGUAGE_CODE
    with translation.override(language):
        return django_set_language(request)


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico before reading any <link rel="icon">: send them to the static file."""
    return redirect(static("favicon.ico"), permanent=True)
