"""Chapter pages: list with heads, detail, create and edit (organisation admins only)."""

from __future__ import annotations

import pytest

from shequn.accounts.models import OperatorRole
from shequn.accounts.tests.factories import OperatorFactory, UserFactory
from shequn.audit.models import AuditEntry
from shequn.organizations.models import Chapter, CommunityStatus
from shequn.organizations.tests.factories import ChapterFactory, CommunityFactory


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def test_chapter_list_shows_heads_and_active_community_counts(
    client_as, org_admin, chapter_head, community, other_community
):
    CommunityFactory(
        chapter=community.chapter,
        organization=community.organization,
        status=CommunityStatus.ARCHIVED,
    )
    response = client_as("org_admin").get("/chapters/")
    chapters = list(response.context["chapters"])
    # pinyin order (bei jing, shang hai); the archived community is not counted
    assert [(c.name, c.community_count) for c in chapters] == [("北京分会", 1), ("上海分会", 1)]
    assert [[h.user.username for h in c.heads] for c in chapters] == [[], ["head"]]
    body = response.content.decode()
    assert 'href="/chapters/new/"' in body


def test_chapter_head_sees_only_their_chapter_and_no_create(client_as, chapter_head, other_chapter):
    response = client_as("chapter_head").get("/chapters/")
    assert [c.name for c in response.context["chapters"]] == ["上海分会"]
    body = response.content.decode()
    assert "北京分会" not in body
    assert 'href="/chapters/new/"' not in body


@pytest.mark.parametrize("rows", [3, 10])
def test_chapter_list_queries_do_not_grow(
    client_as, org_admin, org, django_assert_num_queries, rows
):
    for i in range(rows):
        chapter = ChapterFactory(organization=org)
        CommunityFactory(chapter=chapter, organization=org)
        OperatorFactory(
            user=UserFactory(username=f"head{i}"),
            organization=org,
            role=OperatorRole.CHAPTER_HEAD,
            chapters=[chapter],
        )
    client = client_as("org_admin")
    # session, user, operator; chapters with counts; their heads
    with django_assert_num_queries(5):
        response = client.get("/chapters/")
    assert len(response.context["chapters"]) == rows


def test_chapter_detail(client_as, assistant, chapter_head, community, other_community):
    response = client_as("assistant").get(f"/chapters/{community.chapter_id}/")
    assert [h.user.username for h in response.context["heads"]] == ["head"]
    assert [c.name for c in response.context["communities"]] == ["上海沙龙群"]
    body = response.content.decode()
    assert f'href="/chapters/{community.chapter_id}/edit/"' not in body
    assert "/communities/new/" not in body
    head_body = client_as("chapter_head").get(f"/chapters/{community.chapter_id}/").content
    assert f'href="/communities/new/?chapter={community.chapter_id}"'.encode() in head_body


def test_create_chapter(client_as, org_admin):
    response = client_as("org_admin").post(
        "/chapters/new/",
        {"name": " 广州分会 ", "slug": "guangzhou", "city": "广州", "intro": ""},
        follow=True,
    )
    chapter = Chapter.objects.get(slug="guangzhou")
    assert response.redirect_chain == [(f"/chapters/{chapter.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["Chapter “广州分会” created."]
    assert (chapter.name, chapter.city) == ("广州分会", "广州")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "会" * 81}, "name", "Ensure this value has at most 80 characters (it has 81)."),
        ({"slug": "shanghai"}, "slug", "Another chapter of this organisation has this slug."),
        (
            {"slug": "bad slug"},
            "slug",
            "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.",
        ),
    ],
)
def test_bad_chapter_input_saves_nothing(client_as, org_admin, chapter, data, field, message):
    post = {"name": "广州分会", "slug": "guangzhou", "city": "广州"} | data
    response = client_as("org_admin").post("/chapters/new/", post)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Chapter.objects.count() == 1
    assert AuditEntry.objects.count() == 0


def test_edit_chapter(client_as, org_admin, chapter):
    response = client_as("org_admin").get(f"/chapters/{chapter.pk}/edit/")
    assert response.context["form"]["name"].value() == "上海分会"
    response = client_as("org_admin").post(
        f"/chapters/{chapter.pk}/edit/",
        {"name": "上海分会", "slug": "shanghai", "city": "上海市", "intro": "每周沙龙"},
    )
    assert response.status_code == 302
    chapter.refresh_from_db()
    assert (chapter.city, chapter.intro) == ("上海市", "每周沙龙")
    assert AuditEntry.objects.get().changes == {
        "city": ["上海", "上海市"],
        "intro": ["", "每周沙龙"],
    }


def test_edit_chapter_duplicate_slug_changes_nothing(client_as, org_admin, chapter, other_chapter):
    response = client_as("org_admin").post(
        f"/chapters/{chapter.pk}/edit/", {"name": "x", "slug": "beijing", "city": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [
        "Another chapter of this organisation has this slug."
    ]
    chapter.refresh_from_db()
    assert (chapter.name, chapter.slug) == ("上海分会", "shanghai")
    assert AuditEntry.objects.count() == 0
