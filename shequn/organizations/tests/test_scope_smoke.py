import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from shequn.audit.models import AuditEntry
from shequn.organizations.models import Community, CommunityKind
from shequn.organizations.selectors import get_community_for_user, list_communities
from shequn.organizations.services import create_community


def test_chapter_head_sees_only_own_chapter(chapter_head, community, other_community, scope_of):
    actor = scope_of(chapter_head)
    assert list(list_communities(actor=actor)) == [community]
    with pytest.raises(Http404):
        get_community_for_user(actor=actor, community_id=other_community.pk)


def test_create_lead_gen_proposes_48h_and_audits(org_admin, chapter, scope_of):
    actor = scope_of(org_admin)
    c = create_community(actor=actor, chapter=chapter, kind=CommunityKind.LEAD_GEN,
                         name="裂变群1", slug="lead-1")
    assert (c.ends_at - c.starts_at).total_seconds() == 48 * 3600
    entry = AuditEntry.objects.get()
    assert entry.object_id == str(c.pk)
    assert entry.changes["name"] == "裂变群1"


def test_head_cannot_create_in_other_chapter(chapter_head, other_chapter, scope_of):
    with pytest.raises(PermissionDenied):
        create_community(actor=scope_of(chapter_head), chapter=other_chapter,
                         kind=CommunityKind.REGIONAL, name="x", slug="x")
    assert Community.objects.count() == 0


def test_duplicate_slug(org_admin, community, scope_of):
    with pytest.raises(ValidationError) as exc:
        create_community(actor=scope_of(org_admin), chapter=community.chapter,
                         kind="regional", name="y", slug=community.slug)
    assert "slug" in exc.value.message_dict
    assert Community.objects.count() == 1
