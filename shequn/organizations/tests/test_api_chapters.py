"""/api/v1/chapters: every operation for every persona, bad input, query counts."""

from __future__ import annotations

import pytest

from shequn.audit.models import AuditEntry
from shequn.core.tests.api_helpers import (
    assert_problem,
    audit_actions,
    body,
    error_locs,
    ids,
    send,
)
from shequn.members.models import Member
from shequn.organizations.models import Chapter, CommunityStatus
from shequn.organizations.tests.factories import ChapterFactory, CommunityFactory

UNAUTHENTICATED = ["member", "outsider", "anonymous"]
NEW_CHAPTER = {"name": "杭州分会", "slug": "hangzhou", "city": "杭州"}


# List and get


def test_org_admin_lists_all_chapters(api_client_as, chapter, other_chapter, community):
    response = send(api_client_as("org_admin"), "GET", "/chapters", {"q": "分会"})
    assert body(response)["count"] == 2
    assert sorted(ids(response)) == sorted([chapter.pk, other_chapter.pk])
    item = next(i for i in body(response)["items"] if i["id"] == chapter.pk)
    assert item == {
        "id": chapter.pk,
        "name": "上海分会",
        "slug": "shanghai",
        "city": "上海",
        "intro": "",
        "community_count": 1,
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_list_only_their_chapter(api_client_as, persona, chapter, other_chapter):
    assert ids(send(api_client_as(persona), "GET", "/chapters")) == [chapter.pk]


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_list_and_get_need_a_token(api_client_as, persona, chapter):
    client = api_client_as(persona)
    assert_problem(send(client, "GET", "/chapters"), 401)
    assert_problem(send(client, "GET", f"/chapters/{chapter.pk}"), 401)


def test_list_q_filter(api_client_as, chapter, other_chapter):
    client = api_client_as("org_admin")
    assert ids(send(client, "GET", "/chapters", {"q": "beijing"})) == [other_chapter.pk]
    assert ids(send(client, "GET", "/chapters", {"q": "上海"})) == [chapter.pk]
    assert ids(send(client, "GET", "/chapters", {"q": "广州"})) == []


def test_list_query_count_is_constant(api_client_as, django_assert_num_queries, org):
    client = api_client_as("org_admin")
    send(client, "GET", "/me")  # the first use of a token notes last_used_at
    for total in (3, 10):
        for _ in range(total - Chapter.objects.count()):
            CommunityFactory(chapter=ChapterFactory(organization=org), organization=org)
        with django_assert_num_queries(2):
            response = send(client, "GET", "/chapters")
        assert body(response)["count"] == total
        assert {i["community_count"] for i in body(response)["items"]} == {1}


def test_list_pagination_limits(api_client_as, chapter):
    client = api_client_as("org_admin")
    assert body(send(client, "GET", "/chapters", {"limit": 200}))["count"] == 1
    assert error_locs(send(client, "GET", "/chapters", {"limit": 201})) == [["query", "limit"]]


@pytest.mark.parametrize(
    ("persona", "other_status"), [("org_admin", 200), ("chapter_head", 404), ("assistant", 404)]
)
def test_get_by_persona(api_client_as, chapter, other_chapter, persona, other_status):
    client = api_client_as(persona)
    assert body(send(client, "GET", f"/chapters/{chapter.pk}"))["slug"] == "shanghai"
    response = send(client, "GET", f"/chapters/{other_chapter.pk}")
    if other_status == 404:
        assert assert_problem(response, 404)["detail"] == "No such chapter."
    else:
        assert body(response)["slug"] == "beijing"


# Create


def test_org_admin_creates_a_chapter(api_client_as, org):
    response = send(api_client_as("org_admin"), "POST", "/chapters", NEW_CHAPTER)
    assert response.status_code == 201, response.content
    created = Chapter.objects.get(slug="hangzhou")
    assert body(response)["id"] == created.pk
    assert body(response)["community_count"] == 0
    assert (created.organization, created.name, created.city) == (org, "杭州分会", "杭州")
    assert audit_actions() == ["create"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("chapter_head", 403), ("assistant", 403), *((p, 401) for p in UNAUTHENTICATED)],
)
def test_others_cannot_create(api_client_as, chapter, community, persona, status):
    assert_problem(send(api_client_as(persona), "POST", "/chapters", NEW_CHAPTER), status)
    assert list(Chapter.objects.values_list("slug", flat=True)) == ["shanghai"]
    assert audit_actions() == []


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({**NEW_CHAPTER, "name": ""}, ["body", "name"]),
        ({**NEW_CHAPTER, "name": "  "}, ["body", "name"]),
        ({**NEW_CHAPTER, "name": "长" * 81}, ["body", "name"]),
        ({**NEW_CHAPTER, "slug": "shanghai"}, ["body", "slug"]),
        ({**NEW_CHAPTER, "slug": "杭 州"}, ["body", "slug"]),
        ({"name": "杭州分会"}, ["body", "slug"]),
        ({**NEW_CHAPTER, "region": "east"}, ["body", "region"]),
    ],
)
def test_create_rejects_bad_input(api_client_as, chapter, data, loc):
    assert loc in error_locs(send(api_client_as("org_admin"), "POST", "/chapters", data))
    assert Chapter.objects.count() == 1
    assert audit_actions() == []


def test_create_rejects_malformed_json(api_client_as, db):
    response = send(api_client_as("org_admin"), "POST", "/chapters", '{"name": "杭州分会",')
    assert assert_problem(response, 422)["errors"] == [
        {"loc": ["body"], "msg": "The body is not valid JSON."}
    ]
    assert Chapter.objects.count() == 0


# Patch


def test_org_admin_patches_a_chapter(api_client_as, chapter):
    response = send(
        api_client_as("org_admin"), "PATCH", f"/chapters/{chapter.pk}", {"city": "上海市"}
    )
    assert body(response)["city"] == "上海市"
    chapter.refresh_from_db()
    assert (chapter.name, chapter.city) == ("上海分会", "上海市")
    assert AuditEntry.objects.get(action="update").changes == {"city": ["上海", "上海市"]}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("chapter_head", 403), ("assistant", 403), *((p, 401) for p in UNAUTHENTICATED)],
)
def test_others_cannot_patch(api_client_as, chapter, community, persona, status):
    response = send(api_client_as(persona), "PATCH", f"/chapters/{chapter.pk}", {"name": "改"})
    assert_problem(response, status)
    chapter.refresh_from_db()
    assert chapter.name == "上海分会"
    assert audit_actions() == []


def test_chapter_head_patching_other_chapter_is_404(api_client_as, other_chapter):
    response = send(
        api_client_as("chapter_head"), "PATCH", f"/chapters/{other_chapter.pk}", {"name": "改"}
    )
    assert_problem(response, 404)
    other_chapter.refresh_from_db()
    assert other_chapter.name == "北京分会"


@pytest.mark.parametrize(
    "data", [{"name": None}, {"name": ""}, {"slug": "beijing"}, {"name": "长" * 81}]
)
def test_patch_rejects_bad_input(api_client_as, chapter, other_chapter, data):
    response = send(api_client_as("org_admin"), "PATCH", f"/chapters/{chapter.pk}", data)
    assert error_locs(response) == [["body", next(iter(data))]]
    chapter.refresh_from_db()
    assert (chapter.name, chapter.slug) == ("上海分会", "shanghai")


# Delete


def test_org_admin_deletes_an_empty_chapter(api_client_as, org, chapter):
    empty = ChapterFactory(organization=org, slug="empty")
    resident = Member.objects.create(organization=org, chapter=empty, display_name="王五")
    response = send(api_client_as("org_admin"), "DELETE", f"/chapters/{empty.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Chapter.objects.filter(pk=empty.pk).exists()
    resident.refresh_from_db()
    assert resident.chapter is None
    entry = AuditEntry.objects.get(action="delete")
    assert (entry.object_type, entry.object_id) == ("chapter", str(empty.pk))


@pytest.mark.parametrize("status", [CommunityStatus.ACTIVE, CommunityStatus.ARCHIVED])
def test_chapter_with_communities_cannot_be_deleted(api_client_as, community, status):
    community.status = status
    community.save()
    response = send(api_client_as("org_admin"), "DELETE", f"/chapters/{community.chapter_id}")
    assert assert_problem(response, 422)["detail"] == (
        "This chapter still has communities (archived ones too). "
        "Move them to another chapter first."
    )
    assert Chapter.objects.filter(pk=community.chapter_id).exists()
    assert audit_actions() == []


def test_chapter_head_cannot_delete_own_empty_chapter(api_client_as, chapter, community):
    community.chapter = None  # `chapter` is empty now: only permission stops the delete
    community.save()
    response = send(api_client_as("chapter_head"), "DELETE", f"/chapters/{chapter.pk}")
    assert_problem(response, 403)
    assert Chapter.objects.filter(pk=chapter.pk).exists()
    assert audit_actions() == []


def test_assistant_cannot_delete(api_client_as, chapter, community):
    response = send(api_client_as("assistant"), "DELETE", f"/chapters/{chapter.pk}")
    assert_problem(response, 403)
    assert Chapter.objects.filter(pk=chapter.pk).exists()


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_delete_needs_a_token(api_client_as, chapter, persona):
    assert_problem(send(api_client_as(persona), "DELETE", f"/chapters/{chapter.pk}"), 401)
    assert Chapter.objects.filter(pk=chapter.pk).exists()
