"""Community pages: dashboard, list, create, edit, archive and restore."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from shequn.audit.models import AuditEntry
from shequn.members.tests.factories import MembershipFactory
from shequn.organizations.models import Community, CommunityKind, CommunityStatus
from shequn.organizations.tests.factories import ChapterFactory, CommunityFactory

CREATE_URL = "/communities/new/"


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def _png(size: int = 16, noise: bool = False) -> bytes:
    image = Image.new("RGB", (size, size), "white")
    if noise:
        rng = random.Random(1)
        image.putdata(
            [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size**2)]
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _valid(in_chapter, **overrides) -> dict[str, object]:
    data: dict[str, object] = {
        "chapter": str(in_chapter.pk) if in_chapter else "",
        "kind": CommunityKind.LEAD_GEN,
        "access": "open",
        "name": "裂变一群",
        "slug": "lead-1",
        "intro": "欢迎",
        "rules": "不发广告",
        "capacity": "200",
        "starts_at": "2026-03-01T20:00",
        "ends_at": "",
    }
    data.update(overrides)
    return data


def _media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- create ------------------------------------------------------------------------------------


def test_create_form_shows_each_kinds_lifespan(client_as, chapter_head):
    body = client_as("chapter_head").get(CREATE_URL).content.decode()
    assert "Lead-gen group: 2 days" in body
    assert "New-member group: 7 days" in body
    assert "Core fans (VIP) group: no planned end" in body
    assert 'hx-get="/communities/lifespan/"' in body


def test_create_preselects_the_chapter_from_the_address(client_as, org_admin, chapter):
    response = client_as("org_admin").get(f"{CREATE_URL}?chapter={chapter.pk}")
    assert response.context["form"]["chapter"].value() == str(chapter.pk)


def test_chapter_choices_are_the_chapters_the_actor_manages(
    client_as, org_admin, chapter_head, chapter, other_chapter
):
    head_form = client_as("chapter_head").get(CREATE_URL).context["form"]
    assert list(head_form.fields["chapter"].queryset) == [chapter]
    assert head_form.fields["chapter"].required is True
    admin_form = client_as("org_admin").get(CREATE_URL).context["form"]
    assert list(admin_form.fields["chapter"].queryset) == [other_chapter, chapter]  # pinyin
    assert admin_form.fields["chapter"].required is False


def test_create_lead_gen_proposes_48_hours_and_redirects(client_as, chapter_head, chapter):
    client = client_as("chapter_head")
    response = client.post(CREATE_URL, _valid(chapter), follow=True)
    community = Community.objects.get()
    assert response.redirect_chain == [(f"/communities/{community.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["Community “裂变一群” created."]
    assert (community.chapter, community.kind, community.access) == (chapter, "lead_gen", "open")
    assert (community.name, community.slug, community.capacity) == ("裂变一群", "lead-1", 200)
    assert (community.intro, community.rules) == ("欢迎", "不发广告")
    start = timezone.localtime(community.starts_at)
    assert (start.year, start.month, start.day, start.hour, start.minute) == (2026, 3, 1, 20, 0)
    assert community.ends_at == community.starts_at + timedelta(hours=48)
    assert AuditEntry.objects.filter(action="create", object_type="community").count() == 1


def test_create_keeps_a_given_end_and_starts_now_when_blank(client_as, org_admin, chapter):
    before = timezone.now()
    client_as("org_admin").post(
        CREATE_URL,
        _valid(chapter, kind="core_fans", starts_at="", ends_at="2099-01-01T00:00", capacity=""),
    )
    community = Community.objects.get()
    assert community.starts_at >= before
    assert timezone.localtime(community.ends_at).year == 2099
    assert community.capacity == 500


def test_org_admin_creates_an_organisation_wide_community(client_as, org_admin):
    response = client_as("org_admin").post(CREATE_URL, _valid(None, chapter="", kind="regional"))
    community = Community.objects.get()
    assert response.status_code == 302
    assert community.chapter is None
    assert community.ends_at is None


def test_create_with_images(client_as, org_admin, chapter, settings):
    data = _valid(chapter)
    data["avatar"] = SimpleUploadedFile("a.png", _png(), content_type="image/png")
    data["cover"] = SimpleUploadedFile("c.png", _png(32), content_type="image/png")
    response = client_as("org_admin").post(CREATE_URL, data)
    assert response.status_code == 302
    community = Community.objects.get()
    assert str(community.avatar.name).startswith("communities/avatars/")
    assert str(community.cover.name).startswith("communities/covers/")
    assert len(_media_files(settings)) == 2


LONG_NAME = "群" * 81


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "   "}, "name", "required"),
        ({"name": LONG_NAME}, "name", "max_length"),
        ({"kind": "party"}, "kind", "invalid_choice"),
        ({"access": "secret"}, "access", "invalid_choice"),
        ({"slug": "含 空格"}, "slug", "invalid"),
        ({"slug": "x" * 51}, "slug", "max_length"),
        ({"capacity": "0"}, "capacity", "min_value"),
        ({"capacity": "100001"}, "capacity", "max_value"),
        ({"capacity": "many"}, "capacity", "invalid"),
        ({"starts_at": "yesterday"}, "starts_at", "invalid"),
        ({"chapter": "999999"}, "chapter", "invalid_choice"),
    ],
)
def test_bad_input_shows_the_error_and_saves_nothing(
    client_as, org_admin, chapter, overrides, field, code
):
    response = client_as("org_admin").post(CREATE_URL, _valid(chapter, **overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error(field, code=code)
    assert f'id="field-{field}"' in response.content.decode()
    assert 'class="errorlist' in response.content.decode()
    assert Community.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_duplicate_slug_is_shown_on_the_slug(client_as, org_admin, community):
    response = client_as("org_admin").post(CREATE_URL, _valid(community.chapter, slug="sh-salon"))
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [
        "Another community of this organisation has this slug."
    ]
    assert Community.objects.count() == 1


def test_end_before_start_is_a_form_error(client_as, org_admin, chapter):
    response = client_as("org_admin").post(
        CREATE_URL, _valid(chapter, starts_at="2026-03-02T10:00", ends_at="2026-03-01T10:00")
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["The end must come after the start."]
    assert Community.objects.count() == 0


def test_non_image_avatar_is_refused(client_as, org_admin, chapter, settings):
    data = _valid(chapter)
    data["avatar"] = SimpleUploadedFile("a.png", b"<?php echo 1; ?>", content_type="image/png")
    response = client_as("org_admin").post(CREATE_URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors["avatar"] == [
        "The file is not an image. Upload a JPEG, PNG, WebP or GIF picture."
    ]
    assert Community.objects.count() == 0
    assert _media_files(settings) == []


def test_oversized_cover_is_refused(client_as, org_admin, chapter, settings):
    settings.SHEQUN_IMAGE_MAX_BYTES = 2048
    content = _png(64, noise=True)
    assert len(content) > 2048
    data = _valid(chapter)
    data["cover"] = SimpleUploadedFile("c.png", content, content_type="image/png")
    response = client_as("org_admin").post(CREATE_URL, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("cover", code="image_too_large")
    assert form.errors["cover"] == [
        f"The image is {len(content) // 1024} KB; the largest allowed is 2 KB."
    ]
    assert Community.objects.count() == 0
    assert _media_files(settings) == []


# --- lifespan hint -----------------------------------------------------------------------------


def test_lifespan_partial_proposes_the_end(client_as, org_admin):
    url = reverse("organizations:community_lifespan")
    response = client_as("org_admin").get(
        url, {"kind": "lead_gen", "starts_at": "2026-03-01T20:00"}
    )
    assert response.status_code == 200
    assert response.content.decode().strip() == (
        "Left blank, it ends on 2026-03-03 20:00 (2 days after the start)."
    )
    open_ended = client_as("org_admin").get(url, {"kind": "regional"}).content.decode()
    assert open_ended.strip() == "This kind has no planned end."
    unknown = client_as("org_admin").get(url, {"kind": "nope"}).content.decode()
    assert unknown.strip() == "Pick a kind to see the end it proposes."


# --- edit, archive, restore --------------------------------------------------------------------


def test_edit_form_is_filled_in(client_as, chapter_head, community):
    response = client_as("chapter_head").get(f"/communities/{community.pk}/edit/")
    form = response.context["form"]
    assert form["name"].value() == "上海沙龙群"
    assert form["slug"].value() == "sh-salon"
    assert form["chapter"].value() == community.chapter_id


def test_edit_saves_and_audits_only_the_changes(client_as, chapter_head, community):
    community.starts_at = community.starts_at.replace(second=0, microsecond=0)
    community.save(update_fields=["starts_at"])
    data = {
        "chapter": str(community.chapter_id),
        "kind": community.kind,
        "access": "paid",
        "name": "上海沙龙群（付费）",
        "slug": community.slug,
        "capacity": str(community.capacity),
        "starts_at": timezone.localtime(community.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": "",
    }
    response = client_as("chapter_head").post(f"/communities/{community.pk}/edit/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/communities/{community.pk}/"
    community.refresh_from_db()
    assert (community.name, community.access) == ("上海沙龙群（付费）", "paid")
    entry = AuditEntry.objects.get(action="update")
    assert entry.changes == {
        "name": ["上海沙龙群", "上海沙龙群（付费）"],
        "access": ["open", "paid"],
    }


def test_edit_with_bad_input_changes_nothing(client_as, org_admin, community, other_community):
    data = {
        "chapter": str(community.chapter_id),
        "kind": community.kind,
        "access": "open",
        "name": "x",
        "slug": other_community.slug,
        "starts_at": "2026-01-01T10:00",
    }
    response = client_as("org_admin").post(f"/communities/{community.pk}/edit/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [
        "Another community of this organisation has this slug."
    ]
    community.refresh_from_db()
    assert (community.name, community.slug) == ("上海沙龙群", "sh-salon")
    assert AuditEntry.objects.count() == 0


def test_archive_then_restore(client_as, chapter_head, community):
    client = client_as("chapter_head")
    response = client.post(f"/communities/{community.pk}/archive/", follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Community “上海沙龙群” archived."]
    community.refresh_from_db()
    assert community.status == CommunityStatus.ARCHIVED
    again = client.post(f"/communities/{community.pk}/archive/", follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "Only an active community can be archived."
    ]
    assert AuditEntry.objects.filter(action="archive").count() == 1
    client.post(f"/communities/{community.pk}/restore/")
    community.refresh_from_db()
    assert (community.status, community.archived_at) == (CommunityStatus.ACTIVE, None)


def test_restoring_an_active_community_is_refused(client_as, org_admin, community):
    response = client_as("org_admin").post(f"/communities/{community.pk}/restore/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Only an archived community can be restored."
    ]
    assert AuditEntry.objects.count() == 0


# --- detail header -----------------------------------------------------------------------------


def test_detail_header(client_as, chapter_head, community, member):
    response = client_as("chapter_head").get(f"/communities/{community.pk}/")
    body = response.content.decode()
    assert "<h1>上海沙龙群</h1>" in body
    assert 'href="/c/pj/sh-salon/"' in body
    assert "1 / 500" in body
    assert "Regional group" in body
    assert f'href="/communities/{community.pk}/edit/"' in body
    assert f'action="/communities/{community.pk}/archive/"' in body


def test_detail_of_archived_community_offers_restore_not_add(client_as, org_admin, community):
    community.status = CommunityStatus.ARCHIVED
    community.save(update_fields=["status"])
    body = client_as("org_admin").get(f"/communities/{community.pk}/").content.decode()
    assert f'action="/communities/{community.pk}/restore/"' in body
    assert f'href="/communities/{community.pk}/members/add/"' not in body


# --- dashboard ---------------------------------------------------------------------------------


def test_dashboard_groups_by_chapter_and_kind(client_as, chapter_head, community, member):
    CommunityFactory(
        chapter=community.chapter,
        organization=community.organization,
        kind=CommunityKind.TRAINING_CAMP,
        name="30天训练营",
    )
    response = client_as("chapter_head").get("/")
    assert response.status_code == 200
    assert response.context["totals"] == {"communities": 2, "members": 1}
    groups = response.context["groups"]
    assert [g.chapter for g in groups] == [community.chapter]
    assert [label for _kind, label, _items in groups[0].kinds] == [
        "Training camp",
        "Regional group",
    ]
    body = response.content.decode()
    assert 'href="/communities/new/"' in body
    assert "北京" not in body


def test_dashboard_has_no_create_button_for_assistants(client_as, assistant):
    response = client_as("assistant").get("/")
    assert response.context["can_create"] is False
    assert 'href="/communities/new/"' not in response.content.decode()


def _fill(org, chapters: int, communities_per_chapter: int) -> None:
    for _ in range(chapters):
        chapter = ChapterFactory(organization=org)
        for _ in range(communities_per_chapter):
            c = CommunityFactory(chapter=chapter, organization=org)
            MembershipFactory(community=c)


@pytest.mark.parametrize("rows", [1, 4])
def test_dashboard_queries_do_not_grow(client_as, org_admin, org, django_assert_num_queries, rows):
    _fill(org, rows, rows)
    client = client_as("org_admin")
    # session, user, operator; communities with counts; chapters with counts; those closing
    # within a day (shequn/organizations/tests/test_closing_warnings.py)
    with django_assert_num_queries(6):
        response = client.get("/")
    assert response.context["totals"]["communities"] == rows * rows


# --- list --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 10])
def test_community_list_queries_do_not_grow(
    client_as, org_admin, org, django_assert_num_queries, rows
):
    _fill(org, 1, rows)
    client = client_as("org_admin")
    # session, user, operator; chapters for the filter; count; page
    with django_assert_num_queries(6):
        response = client.get("/communities/")
    assert response.context["page"].paginator.count == rows


def test_community_list_paginates_by_25(client_as, org_admin, org):
    _fill(org, 1, 27)
    client = client_as("org_admin")
    first = client.get("/communities/")
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    second = client.get("/communities/", {"page": "2"})
    assert len(second.context["page"].object_list) == 2
    assert client.get("/communities/", {"page": "99"}).context["page"].number == 2


def test_community_list_search_filter_sort(client_as, org_admin, org, chapter, other_chapter):
    CommunityFactory(chapter=chapter, organization=org, name="A 引流", kind="lead_gen")
    CommunityFactory(
        chapter=chapter, organization=org, name="B 铁粉", kind="core_fans", access="paid"
    )
    c = CommunityFactory(chapter=other_chapter, organization=org, name="C 铁粉", kind="core_fans")
    c.status = CommunityStatus.ARCHIVED
    c.save(update_fields=["status"])
    client = client_as("org_admin")

    def names(**params: str) -> list[str]:
        return [x.name for x in client.get("/communities/", params).context["page"]]

    assert names() == ["A 引流", "B 铁粉", "C 铁粉"]
    assert names(q="铁粉") == ["B 铁粉", "C 铁粉"]
    assert names(kind="core_fans", sort="-name") == ["C 铁粉", "B 铁粉"]
    assert names(access="paid") == ["B 铁粉"]
    assert names(status="archived") == ["C 铁粉"]
    assert names(chapter=str(chapter.pk)) == ["A 引流", "B 铁粉"]
    # unknown values are ignored rather than failing
    assert names(kind="nope", chapter="abc", sort="evil") == ["A 引流", "B 铁粉", "C 铁粉"]


def test_community_list_htmx_returns_only_the_table(client_as, org_admin, community):
    response = client_as("org_admin").get("/communities/", {"q": "沙龙"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "<table" in body
    assert "上海沙龙群" in body
    assert "HX-Request" in response["Vary"]
    restore = client_as("org_admin").get(
        "/communities/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


def test_chapter_head_list_shows_only_their_chapter(
    client_as, chapter_head, community, other_community
):
    response = client_as("chapter_head").get("/communities/")
    assert [c.name for c in response.context["page"]] == ["上海沙龙群"]
    assert "北京沙龙群" not in response.content.decode()
    # a filter on another chapter's id shows nothing of it
    other = client_as("chapter_head").get("/communities/", {"chapter": other_community.chapter_id})
    assert list(other.context["page"]) == [community]
