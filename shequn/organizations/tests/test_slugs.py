"""Slugs: proposed from the Chinese name, unique regardless of case, old ones redirect."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from shequn.accounts.selectors import build_scope
from shequn.audit.models import AuditEntry
from shequn.members.models import Membership
from shequn.organizations.models import Chapter, Community, CommunityKind, CommunityOldSlug
from shequn.organizations.services import (
    create_chapter,
    create_community,
    propose_slug,
    update_chapter,
    update_community,
)
from shequn.organizations.slugs import slug_from_name
from shequn.organizations.tests.factories import ChapterFactory, CommunityFactory


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Service messages in English (the console test below asks for Chinese)."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("上海沙龙群", "shanghai-shalong-qun"),
        ("北京分会", "beijing-fenhui"),
        ("重庆", "chongqing"),
        ("AI 训练营 第3期", "ai-xun-lian-ying-di-3-qi"),
        ("Python训练营2026", "python-xun-lian-ying-2026"),
        ("😀🎉", "community"),
        ("", "community"),
    ],
)
def test_slug_from_name_is_toneless_lower_case_ascii(name, slug):
    assert slug_from_name(name, fallback="community") == slug


def test_slug_from_a_long_name_is_cut_at_a_hyphen_with_room_for_a_suffix():
    slug = slug_from_name("培训经理人俱乐部" * 10, fallback="community")
    assert len(slug) <= 46
    assert slug.isascii()
    assert not slug.endswith("-")
    assert slug.startswith("pei-xun-jing-li-ren-julebu")


def test_blank_slug_is_proposed_and_a_collision_gets_a_suffix(org_admin, chapter):
    actor = build_scope(org_admin)
    kinds = {"kind": CommunityKind.REGIONAL, "chapter": chapter}
    first = create_community(actor=actor, name="上海沙龙群", slug="", **kinds)
    second = create_community(actor=actor, name="上海沙龙群", slug="  ", **kinds)
    CommunityFactory(
        chapter=chapter, organization=chapter.organization, slug="Shanghai-Shalong-Qun-3"
    )
    third = create_community(actor=actor, name="上海沙龙群", slug="", **kinds)
    assert [first.slug, second.slug, third.slug] == [
        "shanghai-shalong-qun",
        "shanghai-shalong-qun-2",
        "shanghai-shalong-qun-4",
    ]
    chapter_one = create_chapter(actor=actor, name="广州分会", slug="")
    assert chapter_one.slug == "guangzhou-fenhui"


def test_slugs_differing_only_in_case_are_refused(org_admin, chapter, community):
    actor = build_scope(org_admin)
    before = (Community.objects.count(), Chapter.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as exc:
        create_community(
            actor=actor, chapter=chapter, kind=CommunityKind.REGIONAL, name="x", slug="SH-Salon"
        )
    assert exc.value.message_dict == {
        "slug": ["Another community of this organisation has this slug."]
    }
    with pytest.raises(ValidationError) as exc:
        create_chapter(actor=actor, name="上海二分会", slug="ShangHai")
    assert exc.value.message_dict == {
        "slug": ["Another chapter of this organisation has this slug."]
    }
    assert (
        Community.objects.count(),
        Chapter.objects.count(),
        AuditEntry.objects.count(),
    ) == before


def test_the_database_refuses_case_duplicates_too(chapter, community):
    with pytest.raises(IntegrityError), transaction.atomic():
        CommunityFactory(chapter=chapter, organization=chapter.organization, slug="SH-SALON")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChapterFactory(organization=chapter.organization, slug="SHANGHAI")


def test_console_form_says_so_in_chinese(client_as, org_admin, chapter, community):
    response = client_as("org_admin").post(
        "/communities/new/",
        {
            "chapter": chapter.pk,
            "kind": "regional",
            "access": "open",
            "name": "新群",
            "slug": "sh-SALON",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == ["本组织已有其他社群使用此网址标识。"]
    assert Community.objects.count() == 1


def test_console_create_with_a_blank_slug_uses_pinyin(client_as, org_admin, chapter):
    response = client_as("org_admin").post(
        "/communities/new/",
        {
            "chapter": chapter.pk,
            "kind": "regional",
            "access": "open",
            "name": "杭州读书会",
            "slug": "",
        },
    )
    assert response.status_code == 302
    assert Community.objects.get().slug == "hang-zhou-dushu-hui"


def test_slug_suggestion_endpoint(client_as, org_admin, chapter_head, community):
    client = client_as("chapter_head")
    response = client.get("/slug-suggestion/", {"target": "community", "name": "上海沙龙群"})
    assert response.status_code == 200
    assert "<code>shanghai-shalong-qun</code>" in response.content.decode()
    chapters = client.get("/slug-suggestion/", {"target": "chapter", "name": "上海分会"})
    assert "<code>shanghai-fenhui</code>" in chapters.content.decode()
    taken = client.get(
        "/slug-suggestion/",
        {"target": "community", "name": "上海沙龙群"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Left blank, the slug will be" in taken.content.decode()
    assert (
        client.get("/slug-suggestion/", {"target": "community", "name": ""}).content.strip() == b""
    )
    assert client.get("/slug-suggestion/", {"target": "nope", "name": "x"}).content.strip() == b""


def test_create_form_asks_for_the_suggestion_while_typing(client_as, org_admin):
    html = client_as("org_admin").get("/communities/new/").content.decode()
    assert 'hx-get="/slug-suggestion/"' in html
    assert 'id="slug-suggestion"' in html


# --- old slugs redirect ---------------------------------------------------------------------


@pytest.fixture
def renamed(org_admin, community) -> Community:
    """`community` (sh-salon) renamed to shanghai-salon."""
    return update_community(
        actor=build_scope(org_admin), community=community, data={"slug": "shanghai-salon"}
    )


def test_a_slug_change_keeps_the_old_one(renamed, community):
    old = CommunityOldSlug.objects.get()
    assert (old.slug, old.community_id, old.organization_id) == (
        "sh-salon",
        community.pk,
        community.organization_id,
    )


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/c/pj/sh-salon/", "/c/pj/shanghai-salon/"),
        ("/c/pj/SH-Salon/", "/c/pj/shanghai-salon/"),
        ("/c/pj/Shanghai-Salon/", "/c/pj/shanghai-salon/"),
        ("/c/pj/sh-salon/signup/", "/c/pj/shanghai-salon/signup/"),
        ("/c/pj/sh-salon/?from=qr", "/c/pj/shanghai-salon/?from=qr"),
    ],
)
def test_old_slugs_and_other_cases_redirect_permanently(client_as, renamed, path, target):
    response = client_as("anonymous").get(path)
    assert response.status_code == 301
    assert response["Location"] == target
    assert client_as("anonymous").get(target).status_code == 200


def test_a_join_posted_to_an_old_address_keeps_its_method(client_as, renamed, other_member):
    before = Membership.objects.count()
    response = client_as("anonymous").post("/c/pj/sh-salon/join/")
    assert response.status_code == 308
    assert response["Location"] == "/c/pj/shanghai-salon/join/"
    assert Membership.objects.count() == before


def test_an_old_slug_is_not_given_to_another_community(org_admin, renamed, chapter):
    actor = build_scope(org_admin)
    before = Community.objects.count()
    for slug in ("sh-salon", "SH-SALON"):
        with pytest.raises(ValidationError) as exc:
            create_community(
                actor=actor, chapter=chapter, kind=CommunityKind.REGIONAL, name="x", slug=slug
            )
        assert exc.value.error_dict["slug"][0].code == "old_slug"
    assert Community.objects.count() == before
    assert propose_slug(Community, org_id=chapter.organization_id, name="x") == "x"
    CommunityFactory(chapter=chapter, organization=chapter.organization, slug="x")
    assert propose_slug(Community, org_id=chapter.organization_id, name="x") == "x-2"


def test_the_community_may_take_its_old_slug_back(client_as, org_admin, renamed):
    community = update_community(
        actor=build_scope(org_admin), community=renamed, data={"slug": "sh-salon"}
    )
    assert community.slug == "sh-salon"
    assert list(CommunityOldSlug.objects.values_list("slug", flat=True)) == ["shanghai-salon"]
    assert client_as("anonymous").get("/c/pj/sh-salon/").status_code == 200
    response = client_as("anonymous").get("/c/pj/shanghai-salon/")
    assert (response.status_code, response["Location"]) == (301, "/c/pj/sh-salon/")


def test_only_a_case_change_keeps_no_old_slug(org_admin, community):
    update_community(actor=build_scope(org_admin), community=community, data={"slug": "SH-salon"})
    assert not CommunityOldSlug.objects.exists()


def test_chapter_edit_with_blank_slug_proposes_one(org_admin, chapter):
    updated = update_chapter(actor=build_scope(org_admin), chapter=chapter, data={"slug": ""})
    assert updated.slug == "shanghai-fenhui"
