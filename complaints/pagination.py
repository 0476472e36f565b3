"""Pagination for big lists without COUNT(*): fetch one row more than a page to know if there is a next."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict


@dataclass
class PeekPage:
    """A page that knows its neighbours but not the total (an unfiltered COUNT over millions of rows
    is the expensive part of a feed)."""

    number: int
    per_page: int
    object_list: list = field(default_factory=list)
    has_next: bool = False

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


def peek_page(queryset, page_param, per_page: int = 25) -> PeekPage:
    try:
        number = max(1, min(int(page_param or 1), MAX_PAGE))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return PeekPage(number=number, per_page=per_page, object_list=rows[:per_page], has_next=len(rows) > per_page)


def query_without_page(get: QueryDict) -> str:
    """The current filters as a query string, for the pagination links."""
    params = get.copy()
    params.pop("page", None)
    return params.urlencode()
