"""Linking and unlinking a member's accounts on channels from the console."""

from __future__ import annotations

import pytest

from shequn.audit.models import AuditAction, AuditEntry
from shequn.members.models import Channel, Identity
from shequn.members.tests.factories import IdentityFactory

OPERATORS = ("org_admin", "chapter_head", "assistant")
DENIED = {"member": 403, "outsider": 403, "anonymous": 302}
PERSONAS = (*OPERATORS, *DENIED)
NEW = {"channel": Channel.TELEGRAM, "external_id": "tg-42", "display_name": "Zhang"}


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(org_admin, chapter_head, assistant, member, other_member) -> None:
    """Every persona and both members exist."""


def _check(response, persona: str, expected: dict[str, int], path: str) -> None:
    assert response.status_code == {**DENIED, **expected}[persona]
    if persona == "anonymous":
        assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_add_permissions_in_scope(persona, client_as, world, member) -> None:
    path = f"/members/{member.pk}/identities/"
    response = client_as(persona).post(path, NEW)
    _check(response, persona, dict.fromkeys(OPERATORS, 302), path)
    added = Identity.objects.filter(external_id="tg-42")
    if persona in OPERATORS:
        assert response["Location"] == f"/members/{member.pk}/"
        assert added.get().member == member
    else:
        assert not added.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_add_permissions_out_of_scope(persona, client_as, world, other_member) -> None:
    path = f"/members/{other_member.pk}/identities/"
    response = client_as(persona).post(path, NEW)
    expected = {"org_admin": 302, "chapter_head": 404, "assistant": 404}
    _check(response, persona, expected, path)
    assert Identity.objects.filter(external_id="tg-42").exists() is (persona == "org_admin")


@pytest.mark.parametrize("persona", PERSONAS)
def test_remove_permissions_in_scope(persona, client_as, world, member) -> None:
    identity = member.identities.get()
    path = f"/members/{member.pk}/identities/{identity.pk}/remove/"
    response = client_as(persona).post(path)
    _check(response, persona, dict.fromkeys(OPERATORS, 302), path)
    assert Identity.objects.filter(pk=identity.pk).exists() is (persona not in OPERATORS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_remove_permissions_out_of_scope(persona, client_as, world, other_member) -> None:
    identity = other_member.identities.get()
    path = f"/members/{other_member.pk}/identities/{identity.pk}/remove/"
    response = client_as(persona).post(path)
    expected = {"org_admin": 302, "chapter_head": 404, "assistant": 404}
    _check(response, persona, expected, path)
    assert Identity.objects.filter(pk=identity.pk).exists() is (persona != "org_admin")


def test_get_is_not_allowed(client_as, org_admin, member) -> None:
    identity = member.identities.get()
    client = client_as("org_admin")
    assert client.get(f"/members/{member.pk}/identities/").status_code == 405
    remove = f"/members/{member.pk}/identities/{identity.pk}/remove/"
    assert client.get(remove).status_code == 405
    assert Identity.objects.filter(pk=identity.pk).exists()


def test_identity_of_another_member_is_404(client_as, org_admin, member, other_member) -> None:
    identity = other_member.identities.get()
    response = client_as("org_admin").post(f"/members/{member.pk}/identities/{identity.pk}/remove/")
    assert response.status_code == 404
    assert Identity.objects.filter(pk=identity.pk).exists()


def test_add_is_audited(client_as, assistant, member, chapter) -> None:
    client_as("assistant").post(f"/members/{member.pk}/identities/", NEW)
    identity = Identity.objects.get(external_id="tg-42")
    assert identity.display_name == "Zhang"
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_type, entry.object_id) == (
        assistant.user,
        AuditAction.CREATE,
        "identity",
        str(identity.pk),
    )
    assert entry.changes == {"channel": "telegram", "external_id": "tg-42", "display_name": "Zhang"}
    assert entry.chapter_id == chapter.pk


def test_remove_is_audited(client_as, chapter_head, member) -> None:
    identity = member.identities.get()
    client_as("chapter_head").post(f"/members/{member.pk}/identities/{identity.pk}/remove/")
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_type, entry.object_id) == (
        chapter_head.user,
        AuditAction.DELETE,
        "identity",
        str(identity.pk),
    )
    assert entry.changes == {
        "channel": "web",
        "external_id": str(member.user_id),
        "display_name": "",
    }


DUPLICATE = "This account is already linked to a member on this channel."


@pytest.mark.parametrize("htmx", [False, True])
def test_duplicate_identity_shows_message_and_saves_nothing(
    htmx, client_as, org_admin, member, other_member
) -> None:
    # `other_member` already has WeCom account "lisi" in the organisation.
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    count = Identity.objects.count()
    response = client_as("org_admin").post(
        f"/members/{member.pk}/identities/",
        {"channel": Channel.WECOM, "external_id": " lisi ", "display_name": ""},
        **headers,
    )
    assert response.status_code == 200
    assert response.context["identity_form"].errors == {"external_id": [DUPLICATE]}
    assert DUPLICATE in response.content.decode()
    assert Identity.objects.count() == count
    assert not AuditEntry.objects.exists()
    expected = "members/partials/identities.html" if htmx else "members/detail.html"
    assert response.templates[0].name == expected


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"channel": "fax", "external_id": "x"},
            {"channel": ["Select a valid choice. fax is not one of the available choices."]},
        ),
        (
            {"channel": Channel.WECOM, "external_id": ""},
            {"external_id": ["This field is required."]},
        ),
        (
            {"channel": Channel.WECOM, "external_id": "x", "display_name": "n" * 65},
            {"display_name": ["Ensure this value has at most 64 characters (it has 65)."]},
        ),
    ],
)
def test_add_bad_input_saves_nothing(data, errors, client_as, org_admin, member) -> None:
    count = Identity.objects.count()
    response = client_as("org_admin").post(f"/members/{member.pk}/identities/", data)
    assert response.status_code == 200
    assert response.context["identity_form"].errors == errors
    assert Identity.objects.count() == count
    assert not AuditEntry.objects.exists()


def test_htmx_add_returns_the_identities_section(client_as, org_admin, member) -> None:
    response = client_as("org_admin").post(
        f"/members/{member.pk}/identities/", NEW, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.templates[0].name == "members/partials/identities.html"
    assert "console/base.html" not in {t.name for t in response.templates}
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="identities">')
    assert "tg-42" in html
    assert not response.context["identity_form"].is_bound


def test_htmx_remove_returns_the_identities_section(client_as, org_admin, member) -> None:
    extra = IdentityFactory(member=member, organization=member.organization, external_id="wx-9")
    response = client_as("org_admin").post(
        f"/members/{member.pk}/identities/{extra.pk}/remove/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.templates[0].name == "members/partials/identities.html"
    assert "console/base.html" not in {t.name for t in response.templates}
    assert "wx-9" not in response.content.decode()
    assert not Identity.objects.filter(pk=extra.pk).exists()
