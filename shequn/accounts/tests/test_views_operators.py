"""Operator account pages: only organisation admins; every write is audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.tests.factories import PASSWORD, OperatorFactory, UserFactory
from shequn.audit.models import AuditAction, AuditEntry
from shequn.organizations.tests.factories import ChapterFactory, OrganizationFactory

User = get_user_model()
NEW_PASSWORD = "lantern-harbour-97"

FORBIDDEN = {
    "org_admin": None,
    "chapter_head": 403,
    "assistant": 403,
    "member": 403,
    "outsider": 403,
    "anonymous": 302,
}


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def _login_redirect(response, path: str) -> bool:
    return response.status_code == 302 and response["Location"] == (f"/accounts/login/?next={path}")


def _expect(response, persona: str, ok: int, path: str) -> None:
    expected = FORBIDDEN[persona] or ok
    assert response.status_code == expected
    if persona == "anonymous":
        assert _login_redirect(response, path)


# Permissions: every page and POST × persona --------------------------------------------


@pytest.mark.parametrize("persona", FORBIDDEN)
def test_operator_list_permissions(persona, client_as, org_admin, chapter_head, assistant) -> None:
    response = client_as(persona).get("/accounts/operators/")
    _expect(response, persona, 200, "/accounts/operators/")


@pytest.mark.parametrize("persona", FORBIDDEN)
def test_operator_create_get_permissions(persona, client_as, org_admin) -> None:
    response = client_as(persona).get("/accounts/operators/new/")
    _expect(response, persona, 200, "/accounts/operators/new/")


@pytest.mark.parametrize("persona", FORBIDDEN)
def test_operator_create_post_permissions(persona, client_as, org_admin, chapter) -> None:
    client = client_as(persona)
    users = User.objects.count()
    response = client.post(
        "/accounts/operators/new/",
        {
            "username": "newhead",
            "email": "newhead@example.com",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
            "role": OperatorRole.CHAPTER_HEAD,
            "chapters": [chapter.pk],
        },
    )
    _expect(response, persona, 302, "/accounts/operators/new/")
    if persona == "org_admin":
        assert response["Location"] == "/accounts/operators/"
        assert User.objects.count() == users + 1
    else:
        assert User.objects.count() == users
        assert not User.objects.filter(username="newhead").exists()


@pytest.mark.parametrize("persona", FORBIDDEN)
def test_operator_edit_get_permissions(persona, client_as, org_admin, chapter_head) -> None:
    path = f"/accounts/operators/{chapter_head.pk}/edit/"
    _expect(client_as(persona).get(path), persona, 200, path)


@pytest.mark.parametrize("persona", FORBIDDEN)
def test_operator_edit_post_permissions(
    persona, client_as, org_admin, chapter_head, other_chapter
) -> None:
    path = f"/accounts/operators/{chapter_head.pk}/edit/"
    response = client_as(persona).post(
        path,
        {"role": OperatorRole.CHAPTER_HEAD, "chapters": [other_chapter.pk], "is_active": "on"},
    )
    _expect(response, persona, 302, path)
    chapter_ids = set(chapter_head.chapters.values_list("id", flat=True))
    if persona == "org_admin":
        assert chapter_ids == {other_chapter.pk}
    else:
        assert other_chapter.pk not in chapter_ids


@pytest.mark.parametrize("persona", FORBIDDEN)
def test_operator_password_permissions(persona, client_as, org_admin, assistant) -> None:
    path = f"/accounts/operators/{assistant.pk}/password/"
    _expect(client_as(persona).get(path), persona, 200, path)
    response = client_as(persona).post(
        path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    _expect(response, persona, 302, path)
    assistant.user.refresh_from_db()
    assert assistant.user.check_password(NEW_PASSWORD) is (persona == "org_admin")
    assert assistant.user.check_password(PASSWORD) is (persona != "org_admin")


def test_chapter_head_gets_403_even_on_own_account(client_as, chapter_head) -> None:
    client = client_as("chapter_head")
    assert client.get(f"/accounts/operators/{chapter_head.pk}/edit/").status_code == 403
    assert client.get(f"/accounts/operators/{chapter_head.pk}/password/").status_code == 403


def test_operator_of_another_organisation_is_404(client_as, org_admin) -> None:
    stranger = OperatorFactory(organization=OrganizationFactory())
    client = client_as("org_admin")
    assert client.get(f"/accounts/operators/{stranger.pk}/edit/").status_code == 404
    assert client.get(f"/accounts/operators/{stranger.pk}/password/").status_code == 404
    assert client.get("/accounts/operators/999999/edit/").status_code == 404


# Content ----------------------------------------------------------------------------------


def test_list_shows_role_and_scope(client_as, org_admin, chapter_head, assistant) -> None:
    response = client_as("org_admin").get("/accounts/operators/")
    operators = list(response.context["operators"])
    assert [o.user.username for o in operators] == ["admin", "assistant", "head"]
    html = response.content.decode()
    assert "Chapter head" in html
    assert "上海分会" in html  # the head's chapter
    assert "上海沙龙群" in html  # the assistant's community


def test_create_writes_operator_and_audit(client_as, org_admin, org, community) -> None:
    response = client_as("org_admin").post(
        "/accounts/operators/new/",
        {
            "username": "helper",
            "email": "helper@example.com",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
            "role": OperatorRole.ASSISTANT,
            "communities": [community.pk],
        },
    )
    assert response.status_code == 302
    operator = Operator.objects.get(user__username="helper")
    assert operator.organization == org
    assert operator.role == OperatorRole.ASSISTANT
    assert list(operator.communities.all()) == [community]
    assert operator.user.email == "helper@example.com"
    assert operator.user.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(object_type="operator", object_id=str(operator.pk))
    assert entry.actor == org_admin.user
    assert entry.action == AuditAction.CREATE
    assert entry.changes == {
        "role": "assistant",
        "chapters": [],
        "communities": [community.pk],
        "is_active": True,
    }


def _create_post(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": "newbie",
        "email": "",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        "role": OperatorRole.ORG_ADMIN,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"password_confirm": "something-else-42"},
            {"password_confirm": ["The two passwords do not match."]},
        ),
        (
            {"password": "password", "password_confirm": "password"},
            {"password": ["This password is too common."]},
        ),
        (
            {"password": "1234", "password_confirm": "1234"},
            {
                "password": [
                    "This password is too short. It must contain at least 8 characters.",
                    "This password is too common.",
                    "This password is entirely numeric.",
                ]
            },
        ),
        ({"username": "head"}, {"username": ["This user name is taken."]}),
        ({"username": "HEAD"}, {"username": ["This user name is taken."]}),
        (
            {"role": OperatorRole.CHAPTER_HEAD},
            {"chapters": ["A chapter head needs at least one chapter."]},
        ),
        (
            {"role": OperatorRole.ASSISTANT},
            {"communities": ["An assistant needs at least one community."]},
        ),
        (
            {"role": "superuser"},
            {"role": ["Select a valid choice. superuser is not one of the available choices."]},
        ),
        ({"username": ""}, {"username": ["This field is required."]}),
    ],
)
def test_create_bad_input_saves_nothing(
    overrides, errors, client_as, org_admin, chapter_head
) -> None:
    users, operators, entries = (
        User.objects.count(),
        Operator.objects.count(),
        AuditEntry.objects.count(),
    )
    response = client_as("org_admin").post("/accounts/operators/new/", _create_post(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    for messages in errors.values():
        for message in messages:
            assert message.split(".")[0] in response.content.decode()
    assert User.objects.count() == users
    assert Operator.objects.count() == operators
    assert AuditEntry.objects.count() == entries


def test_create_offers_only_own_organisation_chapters(client_as, org_admin, chapter) -> None:
    foreign = ChapterFactory(organization=OrganizationFactory())
    users = User.objects.count()
    response = client_as("org_admin").post(
        "/accounts/operators/new/",
        _create_post(role=OperatorRole.CHAPTER_HEAD, chapters=[foreign.pk]),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["chapters"]
    assert User.objects.count() == users


def test_edit_changes_role_scope_and_active_with_audit(
    client_as, org_admin, assistant, community, chapter
) -> None:
    response = client_as("org_admin").post(
        f"/accounts/operators/{assistant.pk}/edit/",
        {"role": OperatorRole.CHAPTER_HEAD, "chapters": [chapter.pk]},
    )
    assert response.status_code == 302
    assistant.refresh_from_db()
    assistant.user.refresh_from_db()
    assert assistant.role == OperatorRole.CHAPTER_HEAD
    assert list(assistant.chapters.all()) == [chapter]
    assert list(assistant.communities.all()) == []
    assert assistant.user.is_active is False
    entry = AuditEntry.objects.get(object_type="operator", action=AuditAction.UPDATE)
    assert entry.actor == org_admin.user
    assert entry.changes == {
        "role": ["assistant", "chapter_head"],
        "chapters": [[], [chapter.pk]],
        "communities": [[community.pk], []],
        "is_active": [True, False],
    }


def test_edit_form_starts_from_current_values(client_as, org_admin, chapter_head, chapter) -> None:
    response = client_as("org_admin").get(f"/accounts/operators/{chapter_head.pk}/edit/")
    form = response.context["form"]
    assert form.initial["role"] == OperatorRole.CHAPTER_HEAD
    assert form.initial["chapters"] == [chapter]
    assert form.initial["is_active"] is True


def test_admin_cannot_switch_off_themselves(client_as, org_admin) -> None:
    response = client_as("org_admin").post(
        f"/accounts/operators/{org_admin.pk}/edit/", {"role": OperatorRole.ORG_ADMIN}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": ["You cannot change your own role or switch off your own account."]
    }
    org_admin.user.refresh_from_db()
    assert org_admin.user.is_active is True
    assert not AuditEntry.objects.exists()


def test_edit_bad_scope_saves_nothing(client_as, org_admin, chapter_head, chapter) -> None:
    response = client_as("org_admin").post(
        f"/accounts/operators/{chapter_head.pk}/edit/",
        {"role": OperatorRole.ASSISTANT, "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "communities": ["An assistant needs at least one community."]
    }
    chapter_head.refresh_from_db()
    assert chapter_head.role == OperatorRole.CHAPTER_HEAD
    assert list(chapter_head.chapters.all()) == [chapter]
    assert not AuditEntry.objects.exists()


def test_set_password_audited_and_usable(client_as, org_admin, chapter_head) -> None:
    response = client_as("org_admin").post(
        f"/accounts/operators/{chapter_head.pk}/password/",
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_type) == (
        org_admin.user,
        AuditAction.UPDATE,
        "operator",
    )
    assert entry.changes == {"password": "***"}
    client = Client()
    response = client.post("/accounts/login/", {"username": "head", "password": NEW_PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD + "x"},
            {"password_confirm": ["The two passwords do not match."]},
        ),
        (
            {"password": "head", "password_confirm": "head"},
            {
                "password": [
                    "The password is too similar to the username.",
                    "This password is too short. It must contain at least 8 characters.",
                ]
            },
        ),
    ],
)
def test_set_password_bad_input(data, errors, client_as, org_admin, chapter_head) -> None:
    response = client_as("org_admin").post(f"/accounts/operators/{chapter_head.pk}/password/", data)
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    chapter_head.user.refresh_from_db()
    assert chapter_head.user.check_password(PASSWORD)
    assert not AuditEntry.objects.exists()


# Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [3, 10])
def test_operator_list_queries_are_constant(
    extra, client_as, org_admin, org, chapter, community, django_assert_num_queries
) -> None:
    for i in range(extra):
        OperatorFactory(
            user=UserFactory(username=f"head{i}"),
            organization=org,
            role=OperatorRole.CHAPTER_HEAD,
            chapters=[chapter],
        )
        OperatorFactory(
            user=UserFactory(username=f"asst{i}"),
            organization=org,
            role=OperatorRole.ASSISTANT,
            communities=[community],
        )
    client = client_as("org_admin")
    # session, user, operator scope, operators, their chapters, their communities
    with django_assert_num_queries(6):
        response = client.get("/accounts/operators/")
    assert response.status_code == 200
    assert len(response.context["operators"]) == 1 + 2 * extra
