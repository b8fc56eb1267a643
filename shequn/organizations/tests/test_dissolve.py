"""Dissolving a community (解散): console button and API operation."""

from __future__ import annotations

import pytest

from shequn.audit.models import AuditEntry
from shequn.core.tests.api_helpers import assert_problem, body, send
from shequn.organizations.models import CommunityStatus


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def test_console_dissolve(client_as, chapter_head, community):
    client = client_as("chapter_head")
    page = client.get(f"/communities/{community.pk}/")
    assert f'action="/communities/{community.pk}/dissolve/"' in page.content.decode()
    response = client.post(f"/communities/{community.pk}/dissolve/", follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Community “上海沙龙群” dissolved."]
    community.refresh_from_db()
    assert community.status == CommunityStatus.DISSOLVED
    page = client.get(f"/communities/{community.pk}/").content.decode()
    assert "/dissolve/" not in page
    assert "/restore/" not in page
    again = client.post(f"/communities/{community.pk}/dissolve/", follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "This community has already been dissolved."
    ]
    assert AuditEntry.objects.filter(action="dissolve").count() == 1
    assert client_as("anonymous").get(f"/c/pj/{community.slug}/").status_code == 410  # closed


def test_console_dissolve_refused_for_assistant(client_as, assistant, community):
    assert client_as("assistant").post(f"/communities/{community.pk}/dissolve/").status_code == 403
    community.refresh_from_db()
    assert community.status == CommunityStatus.ACTIVE
    assert not AuditEntry.objects.exists()


def test_api_dissolve(api_client_as, chapter_head, community, other_community):
    client = api_client_as("chapter_head")
    response = send(client, "POST", f"/communities/{community.pk}/dissolve")
    assert response.status_code == 200
    assert body(response)["status"] == "dissolved"
    problem = assert_problem(send(client, "POST", f"/communities/{community.pk}/dissolve"), 422)
    assert problem["detail"] == "This community has already been dissolved."
    assert_problem(send(client, "POST", f"/communities/{other_community.pk}/dissolve"), 404)
    other_community.refresh_from_db()
    assert other_community.status == CommunityStatus.ACTIVE
