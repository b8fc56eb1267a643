"""Console pages without a COUNT: one row more than a page tells whether a next one exists."""

from __future__ import annotations

import pytest

from shequn.core.pagination import MAX_PAGE_NUMBER, get_window, page_number
from shequn.organizations.models import Organization
from shequn.organizations.tests.factories import OrganizationFactory


@pytest.fixture
def five(db):
    for n in range(5):
        OrganizationFactory(name=f"o{n}", slug=f"o{n}")
    return Organization.objects.order_by("slug")


def test_pages_read_one_row_more_and_never_count(five, django_assert_num_queries):
    with django_assert_num_queries(1):
        first = get_window(five, page="1", per_page=2)
    assert ([o.slug for o in first], first.has_previous(), first.has_next()) == (
        ["o0", "o1"],
        False,
        True,
    )
    assert (first.paginator.count, first.paginator.num_pages) == (None, None)
    last = get_window(five, page=3, per_page=2)
    assert ([o.slug for o in last], last.has_next(), last.previous_page_number()) == (
        ["o4"],
        False,
        2,
    )
    assert (last.start_index(), last.end_index()) == (5, 5)


def test_a_known_total_gives_the_number_of_pages_and_clamps(five):
    page = get_window(five, page=99, per_page=2, count=5)
    assert (page.number, page.paginator.num_pages, [o.slug for o in page]) == (3, 3, ["o4"])


def test_past_the_end_is_empty_and_links_back(five):
    page = get_window(five, page=7, per_page=2)
    assert (list(page), page.has_previous(), page.has_next(), page.start_index()) == (
        [],
        True,
        False,
        0,
    )


@pytest.mark.parametrize(
    ("raw", "number"),
    [(None, 1), ("x", 1), ("-3", 1), ("0", 1), ("2", 2), (str(10**30), MAX_PAGE_NUMBER)],
)
def test_page_number(raw, number):
    assert page_number(raw) == number
