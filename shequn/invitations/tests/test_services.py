from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequn.audit.models import AuditEntry
from shequn.invitations.models import InviteLink
from shequn.invitations.services import (
    CODE_ALPHABET,
    create_invite_link,
    get_or_create_member_link,
    set_invite_link_enabled,
    update_invite_link,
)
from shequn.members.models import MembershipStatus
from shequn.members.tests.factories import MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_operator_creates_own_link(chapter_head, scope_of, community) -> None:
    link = create_invite_link(
        actor=scope_of(chapter_head), community=community, inviter_operator=True
    )
    assert link.inviter_operator_id == chapter_head.pk
    assert link.inviter_member_id is None
    assert len(link.code) == 12
    assert set(link.code) <= set(CODE_ALPHABET)
    assert not set(link.code) & set("01ilo")
    entry = AuditEntry.objects.get(action="invite_link.create")
    assert entry.object_id == str(link.pk)
    assert entry.community_id == community.pk


def test_codes_differ(org_admin, scope_of, community) -> None:
    actor = scope_of(org_admin)
    codes = {
        create_invite_link(actor=actor, community=community, purpose=f"p{i}").code
        for i in range(20)
    }
    assert len(codes) == 20


def test_link_for_a_member_and_purpose(org_admin, scope_of, community, member) -> None:
    expires = timezone.now() + timedelta(days=3)
    link = create_invite_link(
        actor=scope_of(org_admin),
        community=community,
        inviter_member=member,
        purpose="salon 3 May",
        expires_at=expires,
        max_uses=30,
    )
    link.refresh_from_db()
    assert (link.inviter_member_id, link.inviter_operator_id) == (member.pk, None)
    assert (link.purpose, link.expires_at, link.max_uses) == ("salon 3 May", expires, 30)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"purpose": ""}, "purpose"),
        ({"purpose": "x" * 81}, "purpose"),
        ({"purpose": "p", "max_uses": 0}, "max_uses"),
        ({"purpose": "p", "max_uses": 1_000_001}, "max_uses"),
        ({"purpose": "p", "expires_at": "past"}, "expires_at"),
    ],
)
def test_bad_input_creates_nothing(org_admin, scope_of, community, kwargs, field) -> None:
    if kwargs.get("expires_at") == "past":
        kwargs["expires_at"] = timezone.now() - timedelta(minutes=1)
    with pytest.raises(ValidationError) as exc:
        create_invite_link(actor=scope_of(org_admin), community=community, **kwargs)
    assert field in exc.value.error_dict
    assert InviteLink.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="invite_link").count() == 0


def test_member_of_other_organisation_refused(org_admin, scope_of, community) -> None:
    stranger = MemberFactory()
    with pytest.raises(ValidationError):
        create_invite_link(actor=scope_of(org_admin), community=community, inviter_member=stranger)
    assert InviteLink.objects.count() == 0


def test_out_of_scope_refused(chapter_head, assistant, scope_of, other_community) -> None:
    for operator in (chapter_head, assistant):
        with pytest.raises(PermissionDenied):
            create_invite_link(actor=scope_of(operator), community=other_community, purpose="x")
    assert InviteLink.objects.count() == 0


def test_assistant_creates_in_own_community(assistant, scope_of, community) -> None:
    link = create_invite_link(actor=scope_of(assistant), community=community, inviter_operator=True)
    assert link.inviter_operator_id == assistant.pk


def test_update_and_audit(org_admin, scope_of, community) -> None:
    actor = scope_of(org_admin)
    link = create_invite_link(actor=actor, community=community, purpose="poster")
    update_invite_link(actor=actor, link=link, purpose="poster 2", max_uses=5)
    link.refresh_from_db()
    assert (link.purpose, link.max_uses) == ("poster 2", 5)
    entry = AuditEntry.objects.get(action="invite_link.update")
    assert entry.changes == {"max_uses": 5, "purpose": "poster 2"}
    update_invite_link(actor=actor, link=link, max_uses=None)
    link.refresh_from_db()
    assert link.max_uses is None


def test_max_uses_not_below_use_count(org_admin, scope_of, community) -> None:
    actor = scope_of(org_admin)
    link = create_invite_link(actor=actor, community=community, purpose="poster")
    InviteLink.objects.filter(pk=link.pk).update(use_count=3)
    with pytest.raises(ValidationError) as exc:
        update_invite_link(actor=actor, link=link, max_uses=2)
    assert "max_uses" in exc.value.error_dict
    link.refresh_from_db()
    assert link.max_uses is None


def test_purpose_link_keeps_a_purpose(org_admin, scope_of, community) -> None:
    actor = scope_of(org_admin)
    link = create_invite_link(actor=actor, community=community, purpose="poster")
    with pytest.raises(ValidationError):
        update_invite_link(actor=actor, link=link, purpose="  ")
    link.refresh_from_db()
    assert link.purpose == "poster"


def test_switch_off_and_on(org_admin, assistant, scope_of, community) -> None:
    link = create_invite_link(actor=scope_of(org_admin), community=community, purpose="p")
    set_invite_link_enabled(actor=scope_of(assistant), link=link, enabled=False)
    link.refresh_from_db()
    assert link.disabled_at is not None
    set_invite_link_enabled(actor=scope_of(assistant), link=link, enabled=False)  # no change
    set_invite_link_enabled(actor=scope_of(assistant), link=link, enabled=True)
    link.refresh_from_db()
    assert link.disabled_at is None
    actions = list(
        AuditEntry.objects.filter(action__startswith="invite_link.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["invite_link.create", "invite_link.disable", "invite_link.enable"]


def test_switch_out_of_scope_changes_nothing(org_admin, chapter_head, scope_of, other_community):
    link = create_invite_link(actor=scope_of(org_admin), community=other_community, purpose="p")
    with pytest.raises(PermissionDenied):
        set_invite_link_enabled(actor=scope_of(chapter_head), link=link, enabled=False)
    link.refresh_from_db()
    assert link.disabled_at is None


def test_member_link_once_per_member_and_community(member, community) -> None:
    first = get_or_create_member_link(member, community)
    second = get_or_create_member_link(member, community)
    assert first.pk == second.pk
    assert first.is_personal
    assert first.inviter_member_id == member.pk
    assert InviteLink.objects.count() == 1


def test_member_link_for_active_members_only(member, community, other_community) -> None:
    with pytest.raises(ValidationError) as exc:
        get_or_create_member_link(member, other_community)
    assert exc.value.code == "not_member"
    left = MembershipFactory(community=other_community, status=MembershipStatus.LEFT)
    with pytest.raises(ValidationError):
        get_or_create_member_link(left.member, other_community)
    assert InviteLink.objects.count() == 0
