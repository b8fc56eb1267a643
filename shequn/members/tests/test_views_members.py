"""Member console pages: list, create, detail and edit, by persona and with bad input."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shequn.audit.models import AuditAction, AuditEntry
from shequn.members.models import Channel, Member
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory

OPERATORS = ("org_admin", "chapter_head", "assistant")
DENIED = {"member": 403, "outsider": 403, "anonymous": 302}
PERSONAS = (*OPERATORS, *DENIED)


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(org_admin, chapter_head, assistant, member, other_member) -> None:
    """Every persona and both members exist."""


def _png(name: str = "face.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _check(response, persona: str, expected: dict[str, int], path: str) -> None:
    assert response.status_code == {**DENIED, **expected}[persona]
    if persona == "anonymous":
        assert response["Location"] == f"/accounts/login/?next={path}"


# Permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_permissions(persona, client_as, world) -> None:
    response = client_as(persona).get("/members/")
    _check(response, persona, dict.fromkeys(OPERATORS, 200), "/members/")


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_get_permissions(persona, client_as, world) -> None:
    expected = {"org_admin": 200, "chapter_head": 200, "assistant": 403}
    _check(client_as(persona).get("/members/new/"), persona, expected, "/members/new/")


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_post_permissions(persona, client_as, world, chapter) -> None:
    before = Member.objects.count()
    response = client_as(persona).post(
        "/members/new/", {"display_name": "王五", "chapter": chapter.pk}
    )
    expected = {"org_admin": 302, "chapter_head": 302, "assistant": 403}
    _check(response, persona, expected, "/members/new/")
    created = Member.objects.filter(display_name="王五")
    if persona in ("org_admin", "chapter_head"):
        assert response["Location"] == f"/members/{created.get().pk}/"
        assert Member.objects.count() == before + 1
    else:
        assert not created.exists()
        assert Member.objects.count() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_permissions(persona, client_as, world, member, other_member) -> None:
    path = f"/members/{member.pk}/"
    _check(client_as(persona).get(path), persona, dict.fromkeys(OPERATORS, 200), path)
    other = f"/members/{other_member.pk}/"
    expected = {"org_admin": 200, "chapter_head": 404, "assistant": 404}
    _check(client_as(persona).get(other), persona, expected, other)


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_get_permissions(persona, client_as, world, member, other_member) -> None:
    path = f"/members/{member.pk}/edit/"
    _check(client_as(persona).get(path), persona, dict.fromkeys(OPERATORS, 200), path)
    other = f"/members/{other_member.pk}/edit/"
    expected = {"org_admin": 200, "chapter_head": 404, "assistant": 404}
    _check(client_as(persona).get(other), persona, expected, other)


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_post_permissions(persona, client_as, world, other_member) -> None:
    path = f"/members/{other_member.pk}/edit/"
    response = client_as(persona).post(
        path, {"display_name": "李四改", "chapter": other_member.chapter_id}
    )
    expected = {"org_admin": 302, "chapter_head": 404, "assistant": 404}
    _check(response, persona, expected, path)
    other_member.refresh_from_db()
    assert other_member.display_name == ("李四改" if persona == "org_admin" else "李四")


def test_unknown_member_is_404(client_as, org_admin) -> None:
    assert client_as("org_admin").get("/members/999999/").status_code == 404
    assert client_as("org_admin").get("/members/999999/edit/").status_code == 404


# List -------------------------------------------------------------------------------------


def test_list_scope_per_persona(client_as, world, member, other_member) -> None:
    def names(persona: str) -> list[str]:
        page = client_as(persona).get("/members/").context["page"]
        return [m.display_name for m in page]

    assert names("org_admin") == ["李四", "张三"]  # pinyin order: li before zhang
    assert names("chapter_head") == ["张三"]
    assert names("assistant") == ["张三"]


def test_list_search_filter_and_sort(client_as, org_admin, org, chapter, community, other_chapter):
    alice = MemberFactory(organization=org, display_name="Alice", phone="13800000001")
    bob = MemberFactory(organization=org, display_name="Bob", email="bob@example.com")
    MemberFactory(organization=org, display_name="Carol", chapter=other_chapter)
    MembershipFactory(member=alice, community=community)
    IdentityFactory(member=bob, organization=org, channel=Channel.TELEGRAM, external_id="bob")
    client = client_as("org_admin")

    def names(query: str) -> list[str]:
        response = client.get(f"/members/?{query}")
        assert response.status_code == 200
        return [m.display_name for m in response.context["page"]]

    assert names("") == ["Alice", "Bob", "Carol"]
    assert names("q=1380000") == ["Alice"]
    assert names("q=bob@example") == ["Bob"]
    assert names("q=caro") == ["Carol"]
    assert names(f"chapter={other_chapter.pk}") == ["Carol"]
    assert names(f"community={community.pk}") == ["Alice"]
    assert names("channel=telegram") == ["Bob"]
    assert names("order=-name") == ["Carol", "Bob", "Alice"]
    # Values that are not offered are ignored, not a crash.
    assert names("chapter=abc&channel=fax&order=evil") == ["Alice", "Bob", "Carol"]
    assert names(f"chapter={chapter.pk}&q=Alice") == []


def test_chapter_head_cannot_filter_into_other_chapter(client_as, world, other_chapter) -> None:
    response = client_as("chapter_head").get(f"/members/?chapter={other_chapter.pk}")
    assert response.status_code == 200
    assert [m.display_name for m in response.context["page"]] == ["张三"]
    assert "chapter" in response.context["form"].errors


def test_list_paginates_by_25(client_as, org_admin, org) -> None:
    for i in range(30):
        MemberFactory(organization=org, display_name=f"m{i:02d}")
    client = client_as("org_admin")
    first = client.get("/members/").context["page"]
    assert len(first) == 25
    assert (first.paginator.count, first.has_previous(), first.has_next()) == (None, False, True)
    second = client.get("/members/?page=2").context["page"]
    assert [m.display_name for m in second] == [f"m{i:02d}" for i in range(25, 30)]
    assert (second.has_previous(), second.has_next()) == (True, False)


def test_htmx_list_renders_the_table_only(client_as, world) -> None:
    response = client_as("org_admin").get("/members/?q=张", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates] == [
        "members/partials/member_table.html",
        "console/_pagination.html",
    ]
    assert response.content.decode().lstrip().startswith('<div id="member-table">')


@pytest.mark.parametrize("persona", OPERATORS)
@pytest.mark.parametrize("rows", [3, 10])
def test_list_queries_are_constant(
    persona, rows, client_as, world, org, community, django_assert_num_queries
) -> None:
    for i in range(rows):
        person = MemberFactory(organization=org, chapter=community.chapter, display_name=f"n{i}")
        MembershipFactory(member=person, community=community)
        IdentityFactory(member=person, organization=org)
    client = client_as(persona)
    # session, user, operator, scope ids (not for admins), the scope's member ids (bounded;
    # not for admins), rows (no count), chapter choices, community choices
    expected = 6 if persona == "org_admin" else 8
    with django_assert_num_queries(expected):
        response = client.get("/members/")
    assert len(response.context["page"]) == rows + 1 + (persona == "org_admin")


# Create -----------------------------------------------------------------------------------


def test_create_saves_member_and_audit(client_as, org_admin, chapter) -> None:
    response = client_as("org_admin").post(
        "/members/new/",
        {
            "display_name": "  王五 ",
            "phone": "13900000000",
            "email": "wangwu@example.com",
            "notes": "met at the salon",
            "chapter": chapter.pk,
            "avatar": _png(),
        },
    )
    assert response.status_code == 302
    created = Member.objects.get()
    assert (created.display_name, created.phone, created.email, created.notes) == (
        "王五",
        "+8613900000000",
        "wangwu@example.com",
        "met at the salon",
    )
    assert created.chapter == chapter
    # stored under a generated name (shequn.core.images), never the visitor's file name
    assert re.fullmatch(r"members/avatars/[0-9a-f]{32}\.png", str(created.avatar.name))
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_type, entry.object_id) == (
        org_admin.user,
        AuditAction.CREATE,
        "member",
        str(created.pk),
    )
    assert entry.changes["display_name"] == "王五"
    assert entry.changes["chapter"] == chapter.pk
    assert entry.chapter_id == chapter.pk


def test_chapter_head_may_only_pick_own_chapters(client_as, chapter_head, other_chapter) -> None:
    response = client_as("chapter_head").post(
        "/members/new/", {"display_name": "王五", "chapter": other_chapter.pk}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["chapter"]
    assert not Member.objects.exists()
    assert not AuditEntry.objects.exists()


def test_chapter_head_must_pick_a_chapter(client_as, chapter_head, chapter) -> None:
    form = client_as("chapter_head").get("/members/new/").context["form"]
    assert list(form.fields["chapter"].queryset) == [chapter]
    response = client_as("chapter_head").post("/members/new/", {"display_name": "王五"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"chapter": ["This field is required."]}
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"display_name": ""}, {"display_name": ["This field is required."]}),
        ({"display_name": "   "}, {"display_name": ["This field is required."]}),
        (
            {"display_name": "长" * 65},
            {"display_name": ["Ensure this value has at most 64 characters (it has 65)."]},
        ),
        (
            {"display_name": "王五", "email": "not-an-email"},
            {"email": ["Enter a valid email address."]},
        ),
        (
            {
                "display_name": "王五",
                "avatar": SimpleUploadedFile("a.png", b"not an image", content_type="image/png"),
            },
            {"avatar": ["The file is not an image. Upload a JPEG, PNG, WebP or GIF picture."]},
        ),
    ],
)
def test_create_bad_input_saves_nothing(data, errors, client_as, org_admin) -> None:
    response = client_as("org_admin").post("/members/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert next(iter(errors.values()))[0].split("(")[0].strip() in response.content.decode()
    assert not Member.objects.exists()
    assert not AuditEntry.objects.exists()


# Detail -----------------------------------------------------------------------------------


def test_detail_shows_identities_and_visible_memberships(
    client_as, chapter_head, member, community, other_community
) -> None:
    MembershipFactory(member=member, community=other_community)
    response = client_as("chapter_head").get(f"/members/{member.pk}/")
    profile = response.context["member"]
    assert [m.community for m in profile.visible_memberships] == [community]
    assert [i.channel for i in profile.identities.all()] == [Channel.WEB]
    html = response.content.decode()
    assert "上海沙龙群" in html
    assert "北京沙龙群" not in html


# Edit -------------------------------------------------------------------------------------


def test_edit_saves_changes_with_audit(client_as, chapter_head, member, chapter) -> None:
    response = client_as("chapter_head").post(
        f"/members/{member.pk}/edit/",
        {"display_name": "张三丰", "phone": "13700000000", "chapter": chapter.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/members/{member.pk}/"
    member.refresh_from_db()
    assert (member.display_name, member.phone) == ("张三丰", "+8613700000000")
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_type) == (
        chapter_head.user,
        AuditAction.UPDATE,
        "member",
    )
    assert entry.changes == {"display_name": ["张三", "张三丰"], "phone": ["", "+8613700000000"]}


def test_assistant_edits_profile_but_not_home_chapter(client_as, assistant, member, chapter):
    client = client_as("assistant")
    assert "chapter" not in client.get(f"/members/{member.pk}/edit/").context["form"].fields
    response = client.post(
        f"/members/{member.pk}/edit/", {"display_name": "张三", "notes": "active in check-ins"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.notes == "active in check-ins"
    assert member.chapter == chapter
    assert AuditEntry.objects.get().changes == {"notes": ["", "active in check-ins"]}


def test_chapter_head_cannot_move_member_to_other_chapter(
    client_as, chapter_head, member, chapter, other_chapter
) -> None:
    response = client_as("chapter_head").post(
        f"/members/{member.pk}/edit/", {"display_name": "张三", "chapter": other_chapter.pk}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["chapter"]
    member.refresh_from_db()
    assert member.chapter == chapter
    assert not AuditEntry.objects.exists()


def test_chapter_head_keeps_foreign_home_chapter_of_member_in_their_community(
    client_as, chapter_head, org, community, other_chapter
) -> None:
    visitor = MemberFactory(organization=org, chapter=other_chapter, display_name="访客")
    MembershipFactory(member=visitor, community=community)
    client = client_as("chapter_head")
    assert "chapter" not in client.get(f"/members/{visitor.pk}/edit/").context["form"].fields
    response = client.post(f"/members/{visitor.pk}/edit/", {"display_name": "访客甲"})
    assert response.status_code == 302
    visitor.refresh_from_db()
    assert (visitor.display_name, visitor.chapter) == ("访客甲", other_chapter)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"display_name": ""}, {"display_name": ["This field is required."]}),
        (
            {"display_name": "x" * 65},
            {"display_name": ["Ensure this value has at most 64 characters (it has 65)."]},
        ),
        (
            {"display_name": "张三", "avatar": SimpleUploadedFile("a.gif", b"GIF89a-broken")},
            {"avatar": ["The file is not an image. Upload a JPEG, PNG, WebP or GIF picture."]},
        ),
    ],
)
def test_edit_bad_input_changes_nothing(data, errors, client_as, org_admin, member) -> None:
    response = client_as("org_admin").post(
        f"/members/{member.pk}/edit/", {**data, "chapter": member.chapter_id}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    member.refresh_from_db()
    assert member.display_name == "张三"
    assert not member.avatar
    assert not AuditEntry.objects.exists()


def test_edit_replaces_avatar(client_as, org_admin, member) -> None:
    response = client_as("org_admin").post(
        f"/members/{member.pk}/edit/",
        {"display_name": "张三", "chapter": member.chapter_id, "avatar": _png("new.png")},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert re.fullmatch(r"members/avatars/[0-9a-f]{32}\.png", str(member.avatar.name))
    assert list(AuditEntry.objects.get().changes) == ["avatar"]


def test_edit_clears_avatar(client_as, org_admin, member) -> None:
    client = client_as("org_admin")
    client.post(
        f"/members/{member.pk}/edit/",
        {"display_name": "张三", "chapter": member.chapter_id, "avatar": _png("old.png")},
    )
    response = client.post(
        f"/members/{member.pk}/edit/",
        {"display_name": "张三", "chapter": member.chapter_id, "avatar-clear": "on"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.avatar
    last = AuditEntry.objects.order_by("-id").first()
    assert last is not None
    assert last.changes["avatar"][1] == ""
