"""API of joining: bad query text on the blacklist list is refused, never a 500."""

from __future__ import annotations

import pytest

from shequn.joining.models import BlacklistEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("q", ["\x00", "a\x00b"])
def test_blacklist_search_with_a_nul_byte_is_refused(api_client_as, q):
    before = BlacklistEntry.objects.count()
    response = api_client_as("org_admin").get("/api/v1/blacklist", {"q": q})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert BlacklistEntry.objects.count() == before


def test_blacklist_search_finds_nothing_in_an_empty_list(api_client_as):
    response = api_client_as("org_admin").get("/api/v1/blacklist", {"q": "张"})
    assert response.status_code == 200
    assert response.json()["items"] == []
