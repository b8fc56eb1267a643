"""Pages of a console list that cost the same at 300 rows and at 100,000.

Django's Paginator counts the whole queryset (COUNT over every matching row) to know the number
of pages. `get_window` reads one row more than a page instead: it knows whether a next page
exists, not how many there are. Where the total is known without counting (a maintained
counter, or a small table), the caller passes it and the page shows "Page 2 of 7" and the total.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from django.db.models import QuerySet

T = TypeVar("T")
# Deep pages read and skip every row before them; past this the list asks for a filter.
MAX_PAGE_NUMBER = 10_000


@dataclass(frozen=True)
class WindowPaginator:
    """What the pagination partial reads of a paginator: `count`/`num_pages` when known."""

    per_page: int
    count: int | None = None

    @property
    def num_pages(self) -> int | None:
        if self.count is None:
            return None
        return max(1, math.ceil(self.count / self.per_page))


@dataclass(frozen=True)
class WindowPage(Sequence[T], Generic[T]):
    """One page of rows, with the parts of Django's Page the templates use."""

    object_list: list[T]
    number: int
    paginator: WindowPaginator
    _has_next: bool = field(default=False)

    def __len__(self) -> int:
        return len(self.object_list)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.object_list[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self.object_list)

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


def page_number(raw: Any) -> int:
    """The requested page: 1 for anything that is not a page number, at most MAX_PAGE_NUMBER."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE_NUMBER)


def get_window(
    queryset: QuerySet[Any] | Sequence[Any], *, page: Any, per_page: int, count: int | None = None
) -> WindowPage[Any]:
    """Page `page` of an ordered queryset, reading `per_page + 1` rows and never counting.

    `count`, when the caller knows it exactly without a COUNT, lets the page show the total.
    A page past the end is empty and links back.
    """
    number = page_number(page)
    if count is not None:
        number = min(number, max(1, math.ceil(count / per_page)))
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return WindowPage(
        object_list=rows[:per_page],
        number=number,
        paginator=WindowPaginator(per_page=per_page, count=count),
        _has_next=len(rows) > per_page,
    )
