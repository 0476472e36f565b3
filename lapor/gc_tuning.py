"""Garbage collection in a serving process: the long-lived heap is frozen, so no request pays a full
collection of it.

CPython's cyclic collector walks every tracked object of the generations it collects, and a full
(generation-2) collection walks them all: Django's modules, classes, URL patterns and compiled
templates, the reference data each worker keeps (lapor/refcache) and the kept fragments — about
120,000 objects in a worker, a collection of 127–210 ms on the benchmark machine (docs/benchmarks.md,
the map at 2M). It starts whenever allocations cross a threshold, inside whichever request crosses it.
`gc.freeze()` moves every object tracked at that moment into the permanent generation, which no
collection walks; reference counting still frees a frozen object when nothing uses it any more (only
a frozen object that later becomes part of unreachable cyclic garbage is never freed, so a
collection precedes every freeze and freezes happen a bounded number of times).

A worker (gunicorn's hooks in lapor/gunicorn_conf.py; bench/bench_map.py does the same in-process):

1. `start()` after loading the application and before its first request: warms what every request
   reads (`warm_up`: the URL patterns, the reference data, the report form's and the list's choices
   in each language), collects once and freezes;
2. `after_request(n)` once the n-th response is sent: at the counts in REFREEZE_AT it collects what
   is not frozen (a few milliseconds: the frozen heap is not walked) and freezes again, so what the
   first requests built lazily (templates, the admin's and the dashboards' choices) leaves the
   collected heap too.

THRESHOLDS are CPython's defaults: the frozen heap is what made full collections long, not how
often they run (see docs/benchmarks.md, the fifth session of the map).
"""

from __future__ import annotations

import gc
import logging

from django.conf import settings
from django.utils import translation

logger = logging.getLogger(__name__)

THRESHOLDS = (700, 10, 10)
REFREEZE_AT = frozenset({100, 1000, 10000})


def warm_up() -> None:
    """Build what every request reads, so that it is frozen with the rest of the start-up heap: the
    URL patterns in each language, the reference data (regions and categories with their parents)
    and the report form's and the public list's choices in each language. Best effort: with the
    database or the cache down the worker starts all the same and builds these on first use."""
    from django.urls import get_resolver, reverse

    from complaints.filters import filter_options
    from complaints.forms import grouped_choices, province_choices
    from complaints.models import reference_objects

    try:
        get_resolver().url_patterns  # noqa: B018 — imports every view module
        reference_objects()
        province_choices()
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                reverse("home")  # builds this language's reverse table
                grouped_choices(language)
                filter_options()
    except Exception:
        logger.warning("warm-up before freezing the heap failed; the worker builds it on first use", exc_info=True)


def freeze() -> int:
    """Collect once, then move every object still alive into the permanent generation. Returns how
    many objects are frozen in all."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def start() -> int:
    """A serving process has loaded the application: set the thresholds, warm up and freeze."""
    gc.set_threshold(*THRESHOLDS)
    warm_up()
    return freeze()


def after_request(requests_served: int) -> bool:
    """A response has been sent; at the counts of REFREEZE_AT freeze what the requests so far built.
    Returns whether it froze."""
    if requests_served not in REFREEZE_AT:
        return False
    frozen = freeze()
    logger.info("heap frozen again after %d requests: %d objects", requests_served, frozen)
    return True
