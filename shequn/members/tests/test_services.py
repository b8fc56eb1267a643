import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from shequn.audit.models import AuditEntry
from shequn.members.models import Identity, Member, Membership
from shequn.members.selectors import (
    get_member_for_user,
    get_member_profile,
    list_members,
    list_memberships,
)
from shequn.members.services import (
    add_identity,
    add_membership,
    change_membership_role,
    create_member,
    end_membership,
    join_open_community,
    sign_up_member,
    update_member,
)
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory
from shequn.organizations.tests.factories import CommunityFactory


def test_scopes_of_members(org_admin, chapter_head, assistant, member, other_member, scope_of):
    assert set(list_members(actor=scope_of(org_admin))) == {member, other_member}
    assert list(list_members(actor=scope_of(chapter_head))) == [member]
    assert list(list_members(actor=scope_of(assistant))) == [member]
    for persona in (chapter_head, assistant):
        with pytest.raises(Http404):
            get_member_for_user(actor=scope_of(persona), member_id=other_member.pk)


def test_chapter_head_sees_members_of_home_chapter_without_membership(
    chapter_head, chapter, org, scope_of
):
    newcomer = MemberFactory(organization=org, chapter=chapter)
    assert get_member_for_user(actor=scope_of(chapter_head), member_id=newcomer.pk) == newcomer


def test_profile_shows_only_visible_memberships(chapter_head, member, other_community, scope_of):
    MembershipFactory(member=member, community=other_community)
    profile = get_member_profile(actor=scope_of(chapter_head), member_id=member.pk)
    visible = getattr(profile, "visible_memberships")  # noqa: B009 - set by the prefetch
    assert [m.community.slug for m in visible] == ["sh-salon"]


def test_assistant_creates_member_only_into_own_community(
    assistant, community, other_community, scope_of
):
    actor = scope_of(assistant)
    with pytest.raises(PermissionDenied):
        create_member(actor=actor, display_name="王五")
    with pytest.raises(PermissionDenied):
        create_member(actor=actor, display_name="王五", community=other_community)
    assert Member.objects.count() == 0
    person = create_member(actor=actor, display_name="王五", community=community)
    assert person.chapter_id == community.chapter_id
    assert Membership.objects.get(member=person).community == community
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == [
        "create",
        "join",
    ]


def test_assistant_cannot_grant_leading_roles(assistant, community, org, scope_of):
    person = MemberFactory(organization=org)
    with pytest.raises(PermissionDenied):
        add_membership(actor=scope_of(assistant), member=person, community=community, role="owner")
    assert not Membership.objects.filter(member=person).exists()


def test_add_membership_twice_and_capacity(org_admin, community, org, scope_of):
    actor = scope_of(org_admin)
    community.capacity = 1
    community.save()
    first, second = MemberFactory(organization=org), MemberFactory(organization=org)
    add_membership(actor=actor, member=first, community=community)
    with pytest.raises(ValidationError) as exc:
        add_membership(actor=actor, member=first, community=community)
    assert exc.value.code == "already_member"
    with pytest.raises(ValidationError) as exc:
        add_membership(actor=actor, member=second, community=community)
    assert exc.value.code == "community_full"
    assert Membership.objects.filter(community=community).count() == 1


def test_rejoin_after_leaving_reuses_the_row(org_admin, member, community, scope_of):
    actor = scope_of(org_admin)
    membership = Membership.objects.get(member=member, community=community)
    end_membership(actor=actor, membership=membership, status="left")
    membership.refresh_from_db()
    assert membership.status == "left"
    assert membership.left_at is not None
    again = add_membership(actor=actor, member=member, community=community, role="kol")
    assert again.pk == membership.pk
    assert (again.status, again.role, again.left_at) == ("active", "kol", None)


def test_change_role_only_by_admin_or_head(assistant, chapter_head, member, scope_of):
    membership = member.memberships.get()
    with pytest.raises(PermissionDenied):
        change_membership_role(actor=scope_of(assistant), membership=membership, role="admin")
    membership.refresh_from_db()
    assert membership.role == "member"
    change_membership_role(
        actor=scope_of(chapter_head), membership=membership, role="study_committee"
    )
    membership.refresh_from_db()
    assert membership.role == "study_committee"
    assert AuditEntry.objects.get(action="update").changes == {
        "role": ["member", "study_committee"]
    }


def test_unknown_role_is_rejected(chapter_head, member, scope_of):
    with pytest.raises(ValidationError):
        change_membership_role(
            actor=scope_of(chapter_head), membership=member.memberships.get(), role="king"
        )
    assert member.memberships.get().role == "member"


def test_identity_unique_per_org_channel(org_admin, member, other_member, scope_of):
    actor = scope_of(org_admin)
    add_identity(actor=actor, member=member, channel="telegram", external_id="12345")
    with pytest.raises(ValidationError) as exc:
        add_identity(actor=actor, member=other_member, channel="telegram", external_id="12345")
    assert "external_id" in exc.value.message_dict
    assert Identity.objects.filter(channel="telegram").count() == 1
    # The same external id on another channel is another account.
    add_identity(actor=actor, member=other_member, channel="wecom", external_id="12345")


def test_update_member_rejects_bad_input(org_admin, member, scope_of):
    with pytest.raises(ValidationError) as exc:
        update_member(
            actor=scope_of(org_admin),
            member=member,
            data={"display_name": "", "email": "not-an-email"},
        )
    assert set(exc.value.message_dict) == {"display_name", "email"}
    member.refresh_from_db()
    assert member.display_name == "张三"


def test_chapter_head_cannot_move_member_to_other_chapter(
    chapter_head, member, other_chapter, scope_of
):
    with pytest.raises(PermissionDenied):
        update_member(actor=scope_of(chapter_head), member=member, data={"chapter": other_chapter})
    member.refresh_from_db()
    assert member.chapter_id != other_chapter.pk


def test_sign_up_creates_account_member_identities(org):
    result = sign_up_member(
        organization=org,
        display_name="赵六",
        email="Zhao@Example.com",
        password="a-long-pass-phrase",
    )
    person = result.member
    assert person is not None
    assert person.user == result.user
    assert result.user.username == "zhao@example.com"
    assert sorted(person.identities.values_list("channel", "verified_at")) == [
        ("email", None),
        ("web", None),
    ]
    assert (result.verification.purpose, result.verification.member) == ("confirm", person)


def test_sign_up_with_a_recorded_email_changes_nothing_of_the_member(org):
    known = MemberFactory(organization=org, display_name="钱七", phone="13900000000")
    IdentityFactory(member=known, organization=org, channel="email", external_id="qian@example.com")
    result = sign_up_member(
        organization=org,
        display_name="冒充者",
        email="qian@example.com",
        phone="13812345678",
        password="a-long-pass-phrase",
    )
    assert result.member is None
    assert (result.verification.purpose, result.verification.member) == ("link", known)
    known.refresh_from_db()
    assert (known.display_name, known.phone, known.user_id) == ("钱七", "13900000000", None)
    assert Member.objects.count() == 1
    assert known.identities.count() == 1


def test_sign_up_finds_a_recorded_member_by_profile_email_too(org):
    known = MemberFactory(organization=org, display_name="孙八", email="Sun@Example.com")
    result = sign_up_member(
        organization=org, display_name="孙八", email="sun@example.com", password="a-long-pass-1"
    )
    assert result.member is None
    assert result.verification.member == known
    known.refresh_from_db()
    assert known.user_id is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {"display_name": "", "email": "a@example.com", "password": "a-long-pass-phrase"},
            "display_name",
        ),
        ({"display_name": "甲", "email": "", "password": "a-long-pass-phrase"}, "email"),
        ({"display_name": "甲", "email": "a@example.com", "password": "123"}, "password"),
    ],
)
def test_sign_up_bad_input_saves_nothing(org, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        sign_up_member(organization=org, **kwargs)
    assert field in exc.value.message_dict
    assert Member.objects.count() == 0
    assert get_user_model().objects.count() == 0


def test_join_open_community_only(org, chapter, member):
    private = CommunityFactory(organization=org, chapter=chapter, access="private")
    with pytest.raises(ValidationError) as exc:
        join_open_community(member=member, community=private)
    assert exc.value.code == "not_open"
    assert not Membership.objects.filter(community=private).exists()
    open_one = CommunityFactory(organization=org, chapter=chapter, access="open")
    membership = join_open_community(member=member, community=open_one)
    assert (membership.source, membership.status) == ("self_signup", "active")


def test_memberships_scope(chapter_head, member, other_member, scope_of):
    assert [m.member for m in list_memberships(actor=scope_of(chapter_head))] == [member]
