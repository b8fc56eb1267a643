import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone
from PIL import Image

from shequn.audit.models import AuditEntry
from shequn.organizations.models import Community, CommunityKind
from shequn.organizations.selectors import (
    get_community_for_user,
    get_dashboard,
    list_communities,
)
from shequn.organizations.services import (
    archive_community,
    create_chapter,
    create_community,
    dissolve_community,
    restore_community,
    update_community,
)


def test_chapter_head_sees_only_own_chapter(chapter_head, community, other_community, scope_of):
    actor = scope_of(chapter_head)
    assert list(list_communities(actor=actor)) == [community]
    with pytest.raises(Http404):
        get_community_for_user(actor=actor, community_id=other_community.pk)


def test_create_lead_gen_proposes_48h_and_audits(org_admin, chapter, scope_of):
    actor = scope_of(org_admin)
    c = create_community(
        actor=actor, chapter=chapter, kind=CommunityKind.LEAD_GEN, name="裂变群1", slug="lead-1"
    )
    assert c.ends_at is not None
    assert (c.ends_at - c.starts_at).total_seconds() == 48 * 3600
    entry = AuditEntry.objects.get()
    assert entry.object_id == str(c.pk)
    assert entry.changes["name"] == "裂变群1"


def test_head_cannot_create_in_other_chapter(chapter_head, other_chapter, scope_of):
    with pytest.raises(PermissionDenied):
        create_community(
            actor=scope_of(chapter_head),
            chapter=other_chapter,
            kind=CommunityKind.REGIONAL,
            name="x",
            slug="x",
        )
    assert Community.objects.count() == 0


def test_duplicate_slug(org_admin, community, scope_of):
    with pytest.raises(ValidationError) as exc:
        create_community(
            actor=scope_of(org_admin),
            chapter=community.chapter,
            kind="regional",
            name="y",
            slug=community.slug,
        )
    assert "slug" in exc.value.message_dict
    assert Community.objects.count() == 1


def test_operator_may_set_own_end_and_no_end_for_open_ended_kinds(org_admin, chapter, scope_of):
    actor = scope_of(org_admin)
    fans = create_community(
        actor=actor, chapter=chapter, kind=CommunityKind.CORE_FANS, name="铁粉群", slug="fans"
    )
    assert fans.ends_at is None
    start = timezone.now()
    camp = create_community(
        actor=actor,
        chapter=chapter,
        kind=CommunityKind.TRAINING_CAMP,
        name="30天训练营",
        slug="camp30",
        starts_at=start,
        ends_at=start + timedelta(days=30),
    )
    assert camp.ends_at is not None
    assert camp.ends_at - camp.starts_at == timedelta(days=30)


def test_end_before_start_is_rejected(org_admin, chapter, scope_of):
    start = timezone.now()
    with pytest.raises(ValidationError):
        create_community(
            actor=scope_of(org_admin),
            chapter=chapter,
            kind="delivery",
            name="交付群",
            slug="d",
            starts_at=start,
            ends_at=start - timedelta(hours=1),
        )
    assert Community.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("name", "长" * 81), ("kind", "party"), ("access", "vip"), ("capacity", 0)],
)
def test_bad_fields_save_nothing(org_admin, chapter, scope_of, field, value):
    data = {"chapter": chapter, "kind": "regional", "name": "ok", "slug": "ok", field: value}
    with pytest.raises(ValidationError) as exc:
        create_community(actor=scope_of(org_admin), **data)
    assert field in exc.value.message_dict
    assert Community.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_non_image_avatar_is_rejected(org_admin, chapter, scope_of):
    fake = SimpleUploadedFile("a.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        create_community(
            actor=scope_of(org_admin),
            chapter=chapter,
            kind="regional",
            name="ok",
            slug="ok",
            avatar=fake,
        )
    assert "avatar" in exc.value.message_dict
    assert Community.objects.count() == 0


def test_oversized_avatar_is_rejected(org_admin, chapter, scope_of, settings):
    settings.SHEQUN_IMAGE_MAX_BYTES = 100
    big = SimpleUploadedFile("a.png", _png(200, 200), content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        create_community(
            actor=scope_of(org_admin),
            chapter=chapter,
            kind="regional",
            name="ok",
            slug="ok",
            avatar=big,
        )
    assert "avatar" in exc.value.message_dict
    assert Community.objects.count() == 0


def test_valid_avatar_is_stored(org_admin, chapter, scope_of):
    upload = SimpleUploadedFile("a.png", _png(8, 8), content_type="image/png")
    c = create_community(
        actor=scope_of(org_admin),
        chapter=chapter,
        kind="regional",
        name="ok",
        slug="ok",
        avatar=upload,
    )
    assert str(c.avatar.name).startswith("communities/avatars/")


def test_update_records_only_changed_fields(org_admin, community, scope_of):
    update_community(
        actor=scope_of(org_admin),
        community=community,
        data={"name": "新名字", "intro": community.intro, "capacity": 200},
    )
    entry = AuditEntry.objects.get(action="update")
    assert entry.changes == {"name": ["上海沙龙群", "新名字"], "capacity": [500, 200]}


def test_chapter_head_cannot_move_community_to_other_chapter(
    chapter_head, community, other_chapter, scope_of
):
    with pytest.raises(PermissionDenied):
        update_community(
            actor=scope_of(chapter_head), community=community, data={"chapter": other_chapter}
        )
    community.refresh_from_db()
    assert community.chapter_id != other_chapter.pk


def test_archive_and_restore(chapter_head, community, scope_of):
    actor = scope_of(chapter_head)
    archive_community(actor=actor, community=community)
    community.refresh_from_db()
    assert community.status == "archived"
    assert community.archived_at is not None
    with pytest.raises(ValidationError):
        archive_community(actor=actor, community=community)
    restore_community(actor=actor, community=community)
    community.refresh_from_db()
    assert (community.status, community.archived_at) == ("active", None)


def test_assistant_cannot_archive(assistant, community, scope_of):
    with pytest.raises(PermissionDenied):
        archive_community(actor=scope_of(assistant), community=community)
    community.refresh_from_db()
    assert community.status == "active"


def test_only_admin_creates_chapters(org_admin, chapter_head, org, scope_of):
    with pytest.raises(PermissionDenied):
        create_chapter(actor=scope_of(chapter_head), name="广州分会", slug="gz")
    chapter = create_chapter(actor=scope_of(org_admin), name="广州分会", slug="gz", city="广州")
    assert sorted(org.chapters.values_list("slug", flat=True)) == ["gz", "shanghai"]
    assert AuditEntry.objects.get().chapter_id == chapter.pk


def test_dashboard_groups_by_chapter_and_kind(org_admin, community, other_community, scope_of):
    groups = get_dashboard(actor=scope_of(org_admin))
    # chapters in pinyin order: bei jing before shang hai
    assert [g.chapter.name if g.chapter else "" for g in groups] == ["北京分会", "上海分会"]
    assert [k[0] for k in groups[0].kinds] == ["regional"]


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("start", ["active", "archived"])
def test_dissolve_is_final(chapter_head, community, scope_of, start):
    actor = scope_of(chapter_head)
    if start == "archived":
        archive_community(actor=actor, community=community)
    dissolve_community(actor=actor, community=community)
    community.refresh_from_db()
    assert community.status == "dissolved"
    entry = AuditEntry.objects.get(action="dissolve")
    assert entry.changes == {"status": [start, "dissolved"]}
    for service in (dissolve_community, restore_community, archive_community):
        with pytest.raises(ValidationError):
            service(actor=actor, community=community)
    community.refresh_from_db()
    assert community.status == "dissolved"
    assert AuditEntry.objects.filter(action="dissolve").count() == 1


def test_assistant_cannot_dissolve(assistant, community, scope_of):
    with pytest.raises(PermissionDenied):
        dissolve_community(actor=scope_of(assistant), community=community)
    community.refresh_from_db()
    assert community.status == "active"
    assert not AuditEntry.objects.exists()
