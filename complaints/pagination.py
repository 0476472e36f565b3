"""How lists are paged — the one module for it.

Every list on the site (the public feed, my reports, notifications, the staff overdue page, the
dashboards' ranking) is a PeekPage from peek_page, drawn by the `pagination` template tag
(includes/_pagination.html): no COUNT(*), one row more than a page tells whether there is a next.
The admin's report queue, which Django's changelist pages itself, uses CappedCountPaginator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.core.paginator import Paginator
from django.http import QueryDict


@dataclass
class PeekPage:
    """A page that knows its neighbours but not the total (an unfiltered COUNT over millions of rows
    is the expensive part of a feed)."""

    number: int
    per_page: int
    object_list: list = field(default_factory=list)
    has_next: bool = False
    timed_out: bool = False  # the search ran out of time (filters.search_page): no rows, a message

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


MAX_PAGE = 2000  # deeper pages are reached by narrowing the filters, not by OFFSET 50 000


def _page_number(page_param) -> int:
    try:
        return max(1, min(int(page_param or 1), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


def empty_page(page_param, per_page: int = 25, **flags) -> PeekPage:
    """A page of no rows at the number asked for (a search that ran out of time, or was refused): its
    pager leads on from where the visitor was, not from page 1."""
    return PeekPage(number=_page_number(page_param), per_page=per_page, **flags)


def peek_page(queryset, page_param, per_page: int = 25, rows_of=None) -> PeekPage:
    """`rows_of(start, stop)`, if given, reads the page's rows instead of `queryset[start:stop]` (the
    unfiltered feed: a statement compiled once; `queryset` is not used then)."""
    number = _page_number(page_param)
    start = (number - 1) * per_page
    if rows_of is not None:
        rows = rows_of(start, start + per_page + 1)
    else:
        rows = list(queryset[start : start + per_page + 1])
    return PeekPage(number=number, per_page=per_page, object_list=rows[:per_page], has_next=len(rows) > per_page)


def peek_page_by_ids(queryset, read, page_param, per_page: int = 25) -> PeekPage:
    """peek_page in one statement of two levels: `queryset`'s filters and order choose the page's ids
    in a subquery without its joins (`values("pk")` drops them), and `read(ids)` — a queryset
    filtered by `pk__in=ids`, in the same order — reads those rows with whatever it joins. For a
    list whose rows are found by a costly plan (full-text search: the matches sorted), so the
    joins are made for one page's rows, not for every candidate before the sort."""
    number = _page_number(page_param)
    start = (number - 1) * per_page
    rows = list(read(queryset.values("pk")[start : start + per_page + 1]))
    return PeekPage(number=number, per_page=per_page, object_list=rows[:per_page], has_next=len(rows) > per_page)


class CappedCountPaginator(Paginator):
    """The admin's: counts at most CAP rows, so a page of a 2-million-row queue never runs COUNT(*)
    over the table. Beyond the cap the admin shows "CAP+" pages' worth; filters narrow the list."""

    CAP = 10_000
    known_count: int | None = None  # the list's size where it is kept counted (ReportAdmin.get_paginator)

    @cached_property
    def count(self):
        if self.known_count is not None:
            return min(self.known_count, self.CAP)
        return self.object_list.order_by().values("pk")[: self.CAP].count()


def query_without_page(get: QueryDict) -> str:
    """The current filters as a query string, for the pagination links."""
    params = get.copy()
    params.pop("page", None)
    return params.urlencode()
