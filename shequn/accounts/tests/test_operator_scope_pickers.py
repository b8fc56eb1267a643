"""Operator accounts start with the narrowest role; scope pickers list active communities
(with their chapter, filterable), and keep an operator's existing closed communities on edit."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.tests.factories import OperatorFactory, UserFactory
from shequn.organizations.models import CommunityStatus
from shequn.organizations.tests.factories import CommunityFactory

PASSWORD = "a-long-passphrase-2026"


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def closed(chapter):
    """An archived and a dissolved community of `chapter`."""
    return {
        status: CommunityFactory(
            organization=chapter.organization, chapter=chapter, name=f"{status}群", status=status
        )
        for status in (CommunityStatus.ARCHIVED, CommunityStatus.DISSOLVED)
    }


def test_new_operator_defaults_to_assistant(client_as, org_admin) -> None:
    response = client_as("org_admin").get("/accounts/operators/new/")
    form = response.context["form"]
    assert form["role"].value() == OperatorRole.ASSISTANT
    html = response.content.decode()
    assert '<option value="assistant" selected>Assistant</option>' in html
    assert '<option value="org_admin">Organisation admin</option>' in html


def test_create_picker_lists_active_communities_with_their_chapter(
    client_as, org_admin, community, other_community, closed
) -> None:
    response = client_as("org_admin").get("/accounts/operators/new/")
    field = response.context["form"].fields["communities"]
    assert [field.label_from_instance(c) for c in field.queryset] == [
        "北京沙龙群 · 北京分会",
        "上海沙龙群 · 上海分会",
    ]
    html = response.content.decode()
    assert "archived群" not in html
    assert "dissolved群" not in html
    # The filter input: hidden until static/js/console.js shows it; not a form field.
    assert html.count('<div class="scope-filter" data-filter-wrapper hidden>') == 2
    assert 'data-filter-list="#id_communities"' in html
    assert 'data-filter-list="#id_chapters"' in html
    assert 'id="id_communities-none" class="muted" hidden>Nothing matches the filter.' in html


def test_create_refuses_an_archived_community(client_as, org_admin, closed) -> None:
    archived = closed[CommunityStatus.ARCHIVED]
    response = client_as("org_admin").post(
        "/accounts/operators/new/",
        {
            "username": "helper",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "role": OperatorRole.ASSISTANT,
            "communities": [archived.pk],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "communities": [
            f"Select a valid choice. {archived.pk} is not one of the available choices."
        ]
    }
    assert not User.objects.filter(username="helper").exists()
    assert Operator.objects.count() == 1


def test_edit_keeps_an_existing_archived_assignment(
    client_as, org_admin, org, community, closed
) -> None:
    archived = closed[CommunityStatus.ARCHIVED]
    helper = OperatorFactory(
        user=UserFactory(username="helper"),
        organization=org,
        role=OperatorRole.ASSISTANT,
        communities=[community, archived],
    )
    client = client_as("org_admin")
    path = f"/accounts/operators/{helper.pk}/edit/"
    response = client.get(path)
    field = response.context["form"].fields["communities"]
    assert [field.label_from_instance(c) for c in field.queryset] == [
        "archived群 · 上海分会 (Archived)",
        "上海沙龙群 · 上海分会",
    ]
    html = response.content.decode()
    assert f'value="{archived.pk}" id="id_communities_0" checked>' in html
    assert "dissolved群" not in html

    # Saving the form as it is keeps both.
    response = client.post(
        path,
        {
            "role": OperatorRole.ASSISTANT,
            "communities": [archived.pk, community.pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert set(helper.communities.all()) == {community, archived}

    # Unticking it takes it away.
    client.post(
        path, {"role": OperatorRole.ASSISTANT, "communities": [community.pk], "is_active": "on"}
    )
    assert list(helper.communities.all()) == [community]
    field = client.get(path).context["form"].fields["communities"]
    assert list(field.queryset) == [community]
