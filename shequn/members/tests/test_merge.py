"""Merging and unmerging members (shequn.members.merging): what moves, and exact restores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from shequn.accounts.tests.factories import UserFactory
from shequn.activity.models import Activity, ActivityKind
from shequn.audit.models import AuditAction, AuditEntry
from shequn.members.merging import membership_relations, merge_members, merge_relations, unmerge
from shequn.members.models import (
    Channel,
    EmailVerification,
    EmailVerificationPurpose,
    Identity,
    Member,
    MemberNameGram,
    Membership,
    MembershipRole,
    MembershipStatus,
    Merge,
    MergeMove,
)
from shequn.members.selectors import (
    MemberMerged,
    get_member_for_account,
    get_member_for_user,
    list_members,
)
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory
from shequn.organizations.models import Community
from shequn.organizations.tests.factories import CommunityFactory

TABLES: tuple[type[models.Model], ...] = (
    Member,
    Identity,
    Membership,
    Activity,
    EmailVerification,
    MemberNameGram,
    Community,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table a merge touches, every column."""
    return {m._meta.label: list(m._default_manager.order_by("pk").values()) for m in TABLES}


def activity(member: Member, identity: Identity | None, n: int, community=None) -> Activity:
    return Activity.objects.create(
        organization_id=member.organization_id,
        community=community,
        member=member,
        identity=identity,
        channel=identity.channel if identity else Channel.WEB,
        kind=ActivityKind.MESSAGE,
        occurred_at=timezone.now() - timedelta(days=n),
        external_id=f"act-{member.pk}-{n}",
    )


@pytest.fixture
def admin(org_admin, scope_of):
    return scope_of(org_admin)


@pytest.fixture
def pair(org, chapter, community, other_community):
    """Two records of one person: 王伟 (web account) and Wang Wei on Telegram."""
    now = timezone.now()
    a = MemberFactory(organization=org, chapter=chapter, display_name="王伟", notes="常来沙龙")
    b = MemberFactory(
        organization=org, display_name="Wang Wei", phone="+8613800000001", notes="电报群活跃"
    )
    a_wecom = IdentityFactory(member=a, channel=Channel.WECOM, external_id="ww-a")
    b_tg = IdentityFactory(member=b, channel=Channel.TELEGRAM, external_id="tg-b")
    # Both in `community`: a since last year as member, b since two years as KOL (ended).
    MembershipFactory(
        member=a, community=community, joined_at=now - timedelta(days=365), role="member"
    )
    MembershipFactory(
        member=b,
        community=community,
        joined_at=now - timedelta(days=730),
        role=MembershipRole.KOL,
        status=MembershipStatus.LEFT,
        left_at=now - timedelta(days=400),
    )
    MembershipFactory(member=b, community=other_community, joined_at=now - timedelta(days=10))
    for n in range(3):
        activity(a, a_wecom, n, community)
        activity(b, b_tg, n, community)
    a.refresh_from_db()
    b.refresh_from_db()
    return a, b


def test_every_relation_to_member_is_moved_or_has_a_rule():
    """A later feature's foreign key to Member is moved generically (Activity proves it)."""
    generic = {(f.model._meta.label, f.name) for f in merge_relations()}
    assert ("activity.Activity", "member") in generic
    assert ("members.Identity", "member") in generic
    assert ("members.EmailVerification", "member") in generic
    assert ("members.Membership", "member") not in generic  # its own rule
    assert ("members.MemberNameGram", "member") not in generic  # the search index stays


def test_membership_relations_are_the_ones_a_merge_moves():
    """A merge deletes the source's membership of a shared community (kept in Merge): the rows
    pointing at it follow to the kept membership (merging.membership_relations), and back."""
    relations = {
        (r.related_model._meta.label_lower, r.field.name)  # type: ignore[union-attr]
        for r in Membership._meta.get_fields(include_hidden=True)
        if r.auto_created and not r.concrete
    }
    # Derived tables (merge_derived) stay: the recompute rebuilds them (docs/recompute.md).
    derived = {("layers.membershiplayer", "membership")}
    assert derived <= relations
    assert relations - derived == {
        (fk.model._meta.label_lower, fk.name) for fk in membership_relations()
    }
    assert ("invitations.invitejoin", "membership") in relations
    assert ("joining.leaverequest", "membership") in relations


def test_rows_of_a_folded_membership_follow_it_and_come_back(admin, pair, community):
    """b's membership of the shared community is folded into a's: its invite join and leave
    request point at a's membership after the merge, and at b's (recreated) after unmerge."""
    from shequn.invitations.models import InviteJoin, InviteLink
    from shequn.joining.models import LeaveRequest

    a, b = pair
    theirs = Membership.objects.get(member=b, community=community)
    ours = Membership.objects.get(member=a, community=community)
    link = InviteLink.objects.create(organization=a.organization, community=community, code="c1")
    join = InviteJoin.objects.create(
        organization=a.organization,
        community=community,
        link=link,
        membership=theirs,
        member=b,
        joined_at=theirs.joined_at,
    )
    request = LeaveRequest.objects.create(
        organization=a.organization, community=community, member=b, membership=theirs
    )
    merge = merge_members(actor=admin, source=b, target=a)
    assert not Membership.objects.filter(pk=theirs.pk).exists()
    join.refresh_from_db()
    request.refresh_from_db()
    assert (join.membership_id, join.member_id) == (ours.pk, a.pk)
    assert (request.membership_id, request.member_id) == (ours.pk, a.pk)
    unmerge(actor=admin, merge=merge)
    join.refresh_from_db()
    request.refresh_from_db()
    assert (join.membership_id, join.member_id) == (theirs.pk, b.pk)
    assert (request.membership_id, request.member_id) == (theirs.pk, b.pk)


def test_merge_moves_everything(admin, pair, community, other_community):
    a, b = pair
    merge = merge_members(actor=admin, source=b, target=a)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.merged_into_id == a.pk
    assert set(Identity.objects.filter(member=a).values_list("external_id", flat=True)) == {
        "ww-a",
        "tg-b",
    }
    assert Identity.objects.filter(member=b).count() == 0
    assert Activity.objects.filter(member=a).count() == 6
    assert Activity.objects.filter(member=b).count() == 0
    # One membership in the shared community: earliest join, highest role, active (a's was).
    shared = Membership.objects.get(member=a, community=community)
    assert shared.role == MembershipRole.KOL
    assert shared.status == MembershipStatus.ACTIVE
    assert shared.left_at is None
    assert (timezone.now() - shared.joined_at).days == 730
    assert Membership.objects.filter(member=b).count() == 0
    moved = Membership.objects.get(member=a, community=other_community)
    assert moved.member_sort_key == a.sort_key
    assert a.notes == "常来沙龙\n\n电报群活跃"
    assert a.phone == "+8613800000001"  # filled: a had none
    assert (a.community_count, b.community_count) == (2, 0)
    community.refresh_from_db()
    other_community.refresh_from_db()
    assert (community.member_count, other_community.member_count) == (1, 1)
    assert MergeMove.objects.filter(merge=merge).count() == 1 + 3 + 1  # identity, 3 acts, 1 ms
    entry = AuditEntry.objects.get(action=AuditAction.MERGE)
    assert (entry.object_id, entry.changes) == (
        str(b.pk),
        {"merged_into": [None, a.pk], "merge": merge.pk},
    )


def test_merged_member_disappears_and_points_to_the_survivor(admin, pair):
    a, b = pair
    merge_members(actor=admin, source=b, target=a)
    assert b.pk not in set(list_members(actor=admin).values_list("pk", flat=True))
    assert list(list_members(actor=admin, q="Wang Wei")) == []
    with pytest.raises(MemberMerged) as info:
        get_member_for_user(actor=admin, member_id=b.pk)
    assert info.value.survivor_id == a.pk


def test_unmerge_restores_every_row_exactly(admin, pair):
    a, b = pair
    before = snapshot()
    merge = merge_members(actor=admin, source=b, target=a)
    assert snapshot() != before
    unmerge(actor=admin, merge=merge)
    assert snapshot() == before
    merge.refresh_from_db()
    assert merge.unmerged_at is not None
    assert MergeMove.objects.count() == 0
    entry = AuditEntry.objects.get(action=AuditAction.UNMERGE)
    assert entry.changes == {"merged_into": [a.pk, None], "merge": merge.pk, "redone": []}


def test_activities_arriving_after_the_merge_follow_their_identity_back(admin, pair):
    a, b = pair
    merge = merge_members(actor=admin, source=b, target=a)
    b_tg = Identity.objects.get(external_id="tg-b")
    a_wecom = Identity.objects.get(external_id="ww-a")
    later_b = activity(a, b_tg, 50)  # came in through b's Telegram account while merged
    later_a = activity(a, a_wecom, 51)
    unmerge(actor=admin, merge=merge)
    later_b.refresh_from_db()
    later_a.refresh_from_db()
    assert (later_b.member_id, later_a.member_id) == (b.pk, a.pk)


def test_web_account_moves_and_sign_in_follows_the_merge(admin, org):
    user = UserFactory(username="li@example.com")
    with_account = MemberFactory(organization=org, user=user)
    other = MemberFactory(organization=org)
    merge = merge_members(actor=admin, source=with_account, target=other)
    other.refresh_from_db()
    assert other.user_id == user.pk
    assert get_member_for_account(user) == other
    unmerge(actor=admin, merge=merge)
    with_account.refresh_from_db()
    assert with_account.user_id == user.pk


def test_sign_in_follows_merge_when_both_have_accounts(admin, org):
    user_a, user_b = UserFactory(username="a@example.com"), UserFactory(username="b@example.com")
    a = MemberFactory(organization=org, user=user_a)
    b = MemberFactory(organization=org, user=user_b)
    c = MemberFactory(organization=org)
    merge_members(actor=admin, source=a, target=b)
    merge_members(actor=admin, source=b, target=c)  # c gets b's account; a keeps its own
    assert get_member_for_account(user_a) == c
    assert get_member_for_account(user_b) == c


def test_email_verification_moves(admin, org):
    a, b = MemberFactory(organization=org), MemberFactory(organization=org)
    verification = EmailVerification.objects.create(
        organization=org,
        user=UserFactory(),
        member=a,
        purpose=EmailVerificationPurpose.LINK,
        email="x@example.com",
        display_name="x",
    )
    merge_members(actor=admin, source=a, target=b)
    verification.refresh_from_db()
    assert verification.member_id == b.pk


def _chain(org, community):
    members = []
    for i, name in enumerate(("甲", "乙", "丙")):
        m = MemberFactory(organization=org, display_name=name, notes=f"note {name}")
        ident = IdentityFactory(member=m, channel=Channel.TELEGRAM, external_id=f"tg-{i}")
        MembershipFactory(
            member=m,
            community=community,
            joined_at=timezone.now() - timedelta(days=100 * (i + 1)),
            role=(MembershipRole.MEMBER, MembershipRole.KOL, MembershipRole.ADMIN)[i],
        )
        activity(m, ident, i, community)
        members.append(m)
    return members


@pytest.mark.parametrize("order", ["first_then_second", "second_then_first"])
def test_chain_unmerged_in_any_order_is_exact(admin, org, community, order):
    a, b, c = _chain(org, community)
    before = snapshot()
    m1 = merge_members(actor=admin, source=a, target=b)
    b.refresh_from_db()
    m2 = merge_members(actor=admin, source=b, target=Member.objects.get(pk=c.pk))
    community.refresh_from_db()
    assert community.member_count == 1
    assert Activity.objects.filter(member=c).count() == 3
    if order == "first_then_second":
        unmerge(actor=admin, merge=m1)
        # As if only b → c had happened: a has its own rows back, wherever they were.
        assert Activity.objects.filter(member=a).count() == 1
        assert Identity.objects.filter(member=a).count() == 1
        assert Membership.objects.get(member=a).role == MembershipRole.MEMBER
        assert Membership.objects.filter(member=c).count() == 1
        community.refresh_from_db()
        assert community.member_count == 2
        unmerge(actor=admin, merge=Merge.objects.get(pk=m2.pk))
    else:
        unmerge(actor=admin, merge=m2)
        b.refresh_from_db()
        assert b.merged_into_id is None
        assert Member.objects.get(pk=a.pk).merged_into_id == b.pk
        assert Activity.objects.filter(member=c).count() == 1
        assert Activity.objects.filter(member=b).count() == 2
        unmerge(actor=admin, merge=Merge.objects.get(pk=m1.pk))
    assert snapshot() == before


def test_chain_first_unmerge_equals_second_merge_alone(admin, org, community):
    a, b, c = _chain(org, community)
    m1 = merge_members(actor=admin, source=a, target=b)
    merge_members(
        actor=admin, source=Member.objects.get(pk=b.pk), target=Member.objects.get(pk=c.pk)
    )
    unmerge(actor=admin, merge=m1)
    after_unmerge = snapshot()
    entry = AuditEntry.objects.filter(action=AuditAction.UNMERGE).get()
    assert len(entry.changes["redone"]) == 1
    # Compare with a fresh world where only b → c happened.
    unmerge(actor=admin, merge=Merge.objects.get(unmerged_at=None))
    merge_members(
        actor=admin, source=Member.objects.get(pk=b.pk), target=Member.objects.get(pk=c.pk)
    )
    assert snapshot() == after_unmerge


@pytest.mark.parametrize("persona", ["assistant"])
def test_assistants_may_not_merge(request, scope_of, persona, pair):
    a, b = pair
    before = snapshot()
    actor = scope_of(request.getfixturevalue(persona))
    with pytest.raises(PermissionDenied):
        merge_members(actor=actor, source=b, target=a)
    assert snapshot() == before
    assert Merge.objects.count() == AuditEntry.objects.count() == 0


def test_chapter_head_merges_only_within_scope(chapter_head, scope_of, org, chapter, community):
    head = scope_of(chapter_head)
    inside = MemberFactory(organization=org, chapter=chapter)
    inside_too = MemberFactory(organization=org)
    MembershipFactory(member=inside_too, community=community)
    outside = MemberFactory(organization=org)
    MembershipFactory(member=outside, community=CommunityFactory(organization=org))
    before = snapshot()
    with pytest.raises(PermissionDenied):
        merge_members(actor=head, source=outside, target=inside)
    assert snapshot() == before
    merge = merge_members(actor=head, source=inside_too, target=inside)
    unmerge(actor=head, merge=merge)
    assert snapshot() == before


def test_bad_merges_change_nothing(admin, pair):
    a, b = pair
    with pytest.raises(ValidationError) as same:
        merge_members(actor=admin, source=a, target=a)
    assert same.value.code == "same_member"
    merge = merge_members(actor=admin, source=b, target=a)
    before = snapshot()
    with pytest.raises(ValidationError) as again:
        merge_members(actor=admin, source=b, target=a)
    assert again.value.code == "already_merged"
    unmerge(actor=admin, merge=merge)
    after = snapshot()
    with pytest.raises(ValidationError) as twice:
        unmerge(actor=admin, merge=merge)
    assert twice.value.code == "already_unmerged"
    assert snapshot() == after != before
