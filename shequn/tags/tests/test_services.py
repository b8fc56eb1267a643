"""Services of tags: groups, tags, rule tags (checking, switching on and off), tagging by hand,
deleting a tag that segments use. Bad input changes nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequn.audit.models import AuditAction, AuditEntry
from shequn.invitations.models import InviteJoin
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.ladder.models import MemberStage, Stage
from shequn.members.models import Membership
from shequn.members.tests.factories import MemberFactory, MembershipFactory
from shequn.organizations.tests.factories import CommunityFactory, OrganizationFactory
from shequn.profiles.tests.helpers import act
from shequn.segments.models import Segment
from shequn.tags import selectors, services
from shequn.tags.models import MemberTag, RuleType, Tag, TagGroup, TagSource
from shequn.tags.tasks import apply_rule_tag

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _messages(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- groups -------------------------------------------------------------------------------------


def test_create_update_delete_group_is_audited(admin_scope, org):
    group = services.create_tag_group(actor=admin_scope, name=" 城市 ", colour="teal", position=2)
    assert (group.name, group.colour, group.position, group.organization_id) == (
        "城市",
        "teal",
        2,
        org.pk,
    )
    services.update_tag_group(actor=admin_scope, group=group, data={"name": "所在城市"})
    group.refresh_from_db()
    assert group.name == "所在城市"
    services.delete_tag_group(actor=admin_scope, group=group)
    assert not TagGroup.objects.exists()
    entries = list(
        AuditEntry.objects.filter(object_type="taggroup")
        .order_by("id")
        .values_list("action", "changes")
    )
    assert entries == [
        (AuditAction.CREATE, {"name": "城市", "colour": "teal", "position": 2}),
        (AuditAction.UPDATE, {"name": ["城市", "所在城市"]}),
        (AuditAction.DELETE, {"name": "所在城市", "colour": "teal", "position": 2}),
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter a name."),
        ({"name": "x" * 41}, "name", "At most 40 characters."),
        ({"name": "行业 "}, "name", "Another tag group of this organisation has this name."),
        ({"name": "新", "colour": "pink"}, "colour", "Choose a colour."),
        ({"name": "新", "position": 10_001}, "position", "Enter a number from 0 to 10000."),
    ],
)
def test_bad_group_input_saves_nothing(admin_scope, group, fields, field, message):
    with pytest.raises(ValidationError) as exc:
        services.create_tag_group(actor=admin_scope, **fields)
    assert _messages(exc) == {field: [message]}
    assert list(TagGroup.objects.values_list("name", flat=True)) == ["行业"]
    assert not AuditEntry.objects.exists()


def test_group_names_are_unique_regardless_of_case(admin_scope):
    services.create_tag_group(actor=admin_scope, name="VIP")
    with pytest.raises(ValidationError) as exc:
        services.create_tag_group(actor=admin_scope, name="vip")
    assert _messages(exc) == {"name": ["Another tag group of this organisation has this name."]}
    assert TagGroup.objects.count() == 1


def test_a_group_with_tags_is_not_deleted(admin_scope, group, tag):
    with pytest.raises(ValidationError) as exc:
        services.delete_tag_group(actor=admin_scope, group=group)
    assert exc.value.code == "group_in_use"
    assert TagGroup.objects.filter(pk=group.pk).exists()


@pytest.mark.parametrize("scope", ["head_scope", "assistant_scope"])
def test_only_admins_manage_groups_and_tags(request, scope, group, tag):
    actor = request.getfixturevalue(scope)
    with pytest.raises(PermissionDenied):
        services.create_tag_group(actor=actor, name="城市")
    with pytest.raises(PermissionDenied):
        services.create_tag(actor=actor, name="讲师")
    with pytest.raises(PermissionDenied):
        services.create_rule_tag(
            actor=actor, name="熟人", rule_type=RuleType.STAGE, params={"stages": [4]}
        )
    with pytest.raises(PermissionDenied):
        services.update_tag(actor=actor, tag=tag, data={"name": "讲师"})
    with pytest.raises(PermissionDenied):
        services.delete_tag(actor=actor, tag=tag)
    with pytest.raises(PermissionDenied):
        services.delete_tag_group(actor=actor, group=group)
    assert (TagGroup.objects.count(), Tag.objects.count()) == (1, 1)
    assert Tag.objects.get().name == "培训经理"


# --- tags set by hand ---------------------------------------------------------------------------


def test_create_and_update_a_tag(admin_scope, group, org_admin):
    tag = services.create_tag(actor=admin_scope, name="讲师", group=group, description="内训讲师")
    assert (tag.name, tag.group_id, tag.colour, tag.shown_colour, tag.rule_type) == (
        "讲师",
        group.pk,
        "",
        "green",
        "",
    )
    assert tag.created_by == org_admin
    services.update_tag(actor=admin_scope, tag=tag, data={"colour": "red", "group": None})
    tag.refresh_from_db()
    assert (tag.colour, tag.group_id, tag.shown_colour) == ("red", None, "red")
    entry = AuditEntry.objects.filter(object_type="tag", action=AuditAction.UPDATE).get()
    assert entry.changes == {"group": [group.pk, None], "colour": ["", "red"]}


def test_bad_tag_input_saves_nothing(admin_scope, tag):
    other_group = TagGroup.objects.create(organization=OrganizationFactory(), name="别家")
    cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
        ({"name": ""}, {"name": ["Enter a name."]}),
        ({"name": "培训经理"}, {"name": ["Another tag of this organisation has this name."]}),
        ({"name": "新", "colour": "black"}, {"colour": ["Choose a colour."]}),
        ({"name": "新", "description": "长" * 201}, {"description": ["At most 200 characters."]}),
        ({"name": "新", "group": other_group}, {"group_id": ["Choose a tag group of yours."]}),
    ]
    for fields, errors in cases:
        with pytest.raises(ValidationError) as exc:
            services.create_tag(actor=admin_scope, **fields)
        assert _messages(exc) == errors
    assert list(Tag.objects.values_list("name", flat=True)) == ["培训经理"]
    with pytest.raises(ValidationError) as exc:
        services.update_tag(actor=admin_scope, tag=tag, data={"rule": {"stages": [1]}})
    assert _messages(exc) == {"rule_type": ["A tag set by hand cannot become a rule tag."]}
    tag.refresh_from_db()
    assert (tag.rule_type, tag.rule) == ("", {})


# --- rule tags: checking ------------------------------------------------------------------------


@pytest.fixture
def far_link():
    return InviteLinkFactory(community=CommunityFactory())


@pytest.mark.parametrize(
    ("rule_type", "params", "field", "message"),
    [
        ("keyword", {"keywords": ""}, "keywords", "Enter at least one keyword."),
        ("keyword", {"keywords": [" ", ""]}, "keywords", "Enter at least one keyword."),
        (
            "keyword",
            {"keywords": ["("], "match": "regex"},
            "keywords",
            "This is not a valid regular expression: missing ), unterminated subpattern at "
            "position 0",
        ),
        (
            "keyword",
            {"keywords": "北京", "min_count": 0},
            "min_count",
            "Enter a number from 1 to 10000.",
        ),
        (
            "keyword",
            {"keywords": "北京", "min_count": 10_001},
            "min_count",
            "Enter a number from 1 to 10000.",
        ),
        (
            "keyword",
            {"keywords": "北京", "window_days": 3651},
            "window_days",
            "Enter a number from 1 to 3650.",
        ),
        (
            "keyword",
            {"keywords": "北京", "window_days": "soon"},
            "window_days",
            "Enter a whole number.",
        ),
        (
            "event_kind",
            {"event_kind": " "},
            "event_kind",
            "Enter the event kind (up to 64 characters).",
        ),
        ("stage", {"stages": []}, "stages", "Choose at least one stage."),
        ("stage", {"stages": [7]}, "stages", "Choose stages of the ladder."),
        ("layer", {"layer": "vip"}, "layer", "Choose a layer."),
        (
            "invite_link",
            {"invite_link_id": 2**40},
            "invite_link_id",
            "Choose an invite link of yours.",
        ),
        (
            "activity_kind",
            {"activity_kind": ""},
            "activity_kind",
            "Enter the activity name (up to 64 characters).",
        ),
        ("weather", {}, "rule_type", "Choose a rule."),
    ],
)
def test_bad_rule_saves_nothing(admin_scope, rule_type, params, field, message):
    with pytest.raises(ValidationError) as exc:
        services.create_rule_tag(actor=admin_scope, name="规则", rule_type=rule_type, params=params)
    assert _messages(exc) == {field: [message]}
    assert not Tag.objects.exists()
    assert not AuditEntry.objects.exists()


def test_links_and_communities_of_another_organisation_are_refused(admin_scope, far_link):
    with pytest.raises(ValidationError) as exc:
        services.create_rule_tag(
            actor=admin_scope,
            name="海报",
            rule_type=RuleType.INVITE_LINK,
            params={"invite_link_id": far_link.pk},
        )
    assert _messages(exc) == {"invite_link_id": ["Choose an invite link of yours."]}
    with pytest.raises(ValidationError) as exc:
        services.create_rule_tag(
            actor=admin_scope,
            name="活跃",
            rule_type=RuleType.LAYER,
            params={"layer": "core", "community_id": far_link.community_id},
        )
    assert _messages(exc) == {"community_id": ["Choose a community of yours."]}
    assert not Tag.objects.exists()


def test_a_rule_tag_is_created_switched_off_with_its_rule_stored(admin_scope, community):
    tag = services.create_rule_tag(
        actor=admin_scope,
        name="北京",
        rule_type=RuleType.KEYWORD,
        params={"keywords": "北京，上海\n北京", "window_days": "30"},
    )
    assert (tag.is_active, tag.rule_type, tag.member_count) == (False, "keyword", 0)
    assert tag.rule == {
        "keywords": ["北京", "上海"],
        "match": "word",
        "min_count": 1,
        "window_days": 30,
    }
    layer = services.create_rule_tag(
        actor=admin_scope,
        name="核心",
        rule_type=RuleType.LAYER,
        params={"layer": "core", "community_id": str(community.pk)},
    )
    assert layer.rule == {"layer": "core", "community_id": community.pk}


# --- rule tags: switching on and off ------------------------------------------------------------


def test_keyword_rule_tags_whole_words_only(
    org, community, admin_scope, huey_immediate, django_capture_on_commit_callbacks
):
    """ "北京" is a word of "我去北京出差", and only part of "北京大学" in "我在北京大学读书"."""
    trip = MemberFactory(organization=org, display_name="出差的人")
    student = MemberFactory(organization=org, display_name="学生")
    now = timezone.now()
    act(trip, community, "message", now - HOUR, text="我去北京出差")
    act(student, community, "message", now - HOUR, text="我在北京大学读书")
    tag = services.create_rule_tag(
        actor=admin_scope, name="北京", rule_type=RuleType.KEYWORD, params={"keywords": "北京"}
    )
    assert not MemberTag.objects.exists()  # switched off: nobody

    preview = selectors.preview_tag_rule(
        actor=admin_scope, rule_type=RuleType.KEYWORD, params={"keywords": ["北京"]}
    )
    assert (preview.count, preview.examples) == (1, [trip])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.activate_rule_tag(actor=admin_scope, tag=tag)
    assert len(callbacks) == 1
    rows: list[Any] = list(MemberTag.objects.values_list("member_id", "source", "added_by_id"))
    assert rows == [(trip.pk, "rule", None)]
    tag.refresh_from_db()
    assert (tag.is_active, tag.member_count) == (True, 1)

    assert apply_rule_tag.call_local(tag.pk) == 0  # a second run changes nothing
    assert MemberTag.objects.count() == 1


def test_switching_off_takes_the_tag_off_everyone(org, community, admin_scope):
    people = [MemberFactory(organization=org) for _ in range(3)]
    for person in people:
        MemberStage.objects.create(
            member=person,
            organization=org,
            stage=Stage.FAMILIAR,
            computed_stage=Stage.FAMILIAR,
            since=timezone.now(),
        )
    tag = services.create_rule_tag(
        actor=admin_scope, name="熟人", rule_type=RuleType.STAGE, params={"stages": [4, 5]}
    )
    services.activate_rule_tag(actor=admin_scope, tag=tag)
    counts = services.apply_rule_tag_to_everyone(tag_id=tag.pk)
    assert counts is not None
    assert (counts.added, counts.removed) == (3, 0)
    tag.refresh_from_db()
    assert tag.member_count == 3

    services.deactivate_rule_tag(actor=admin_scope, tag=tag)
    tag.refresh_from_db()
    assert (tag.is_active, tag.member_count) == (False, 0)
    assert not MemberTag.objects.exists()
    assert services.apply_rule_tag_to_everyone(tag_id=tag.pk) is None  # the job is late: nothing
    assert not MemberTag.objects.exists()
    changes = list(
        AuditEntry.objects.filter(object_type="tag", action=AuditAction.UPDATE)
        .order_by("id")
        .values_list("changes", flat=True)
    )
    assert changes == [
        {"is_active": [False, True]},
        {"is_active": [True, False], "members_removed": 3},
    ]


def test_switching_on_twice_queues_once(admin_scope, django_capture_on_commit_callbacks):
    tag = services.create_rule_tag(
        actor=admin_scope, name="熟人", rule_type=RuleType.STAGE, params={"stages": [4]}
    )
    with django_capture_on_commit_callbacks() as callbacks:
        services.activate_rule_tag(actor=admin_scope, tag=tag)
        services.activate_rule_tag(actor=admin_scope, tag=tag)
    assert len(callbacks) == 1


def test_a_tag_set_by_hand_has_no_rule_to_switch(admin_scope, tag):
    with pytest.raises(ValidationError) as exc:
        services.activate_rule_tag(actor=admin_scope, tag=tag)
    assert exc.value.code == "not_a_rule_tag"
    tag.refresh_from_db()
    assert tag.is_active is False


def test_changing_the_rule_of_a_switched_on_tag_applies_it_again(
    org, community, admin_scope, django_capture_on_commit_callbacks
):
    link = InviteLinkFactory(community=community, purpose="海报")
    other = InviteLinkFactory(community=community, purpose="沙龙")
    person = MemberFactory(organization=org)
    membership = MembershipFactory(member=person, community=community)
    InviteJoin.objects.create(
        organization=org,
        community=community,
        link=other,
        membership=membership,
        member=person,
        joined_at=timezone.now(),
    )
    tag = services.create_rule_tag(
        actor=admin_scope,
        name="海报来的",
        rule_type=RuleType.INVITE_LINK,
        params={"invite_link_id": link.pk},
    )
    services.activate_rule_tag(actor=admin_scope, tag=tag)
    services.apply_rule_tag_to_everyone(tag_id=tag.pk)
    assert not MemberTag.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        services.update_tag(actor=admin_scope, tag=tag, data={"rule": {"invite_link_id": other.pk}})
        services.update_tag(actor=admin_scope, tag=tag, data={"name": "沙龙来的"})
    assert len(callbacks) == 1  # the rename does not apply the rule again
    services.apply_rule_tag_to_everyone(tag_id=tag.pk)
    assert list(MemberTag.objects.values_list("member_id", flat=True)) == [person.pk]
    assert Membership.objects.filter(member=person).count() == 1


def test_changing_the_rule_type_asks_for_its_parameters(admin_scope):
    tag = services.create_rule_tag(
        actor=admin_scope, name="熟人", rule_type=RuleType.STAGE, params={"stages": [4]}
    )
    with pytest.raises(ValidationError) as exc:
        services.update_tag(actor=admin_scope, tag=tag, data={"rule_type": RuleType.LAYER})
    assert _messages(exc) == {"layer": ["Choose a layer."]}
    services.update_tag(
        actor=admin_scope, tag=tag, data={"rule_type": RuleType.LAYER, "rule": {"layer": "lurker"}}
    )
    tag.refresh_from_db()
    assert (tag.rule_type, tag.rule) == ("layer", {"layer": "lurker", "community_id": None})


# --- tagging by hand ----------------------------------------------------------------------------


def test_tag_and_untag_a_member_keep_the_counter(admin_scope, tag, member, org_admin):
    assert services.tag_member(actor=admin_scope, tag=tag, member=member) is True
    assert services.tag_member(actor=admin_scope, tag=tag, member=member) is False
    tag.refresh_from_db()
    assert tag.member_count == 1
    row = MemberTag.objects.get()
    assert (row.member_id, row.source, row.added_by_id) == (member.pk, "manual", org_admin.pk)
    assert services.untag_member(actor=admin_scope, tag=tag, member=member) is True
    assert services.untag_member(actor=admin_scope, tag=tag, member=member) is False
    tag.refresh_from_db()
    assert tag.member_count == 0
    entries = list(
        AuditEntry.objects.filter(object_type="membertag")
        .order_by("id")
        .values_list("action", "changes", "chapter_id")
    )
    assert entries == [
        (AuditAction.CREATE, {"tag": "培训经理", "member": member.pk}, member.chapter_id),
        (AuditAction.DELETE, {"tag": "培训经理", "member": member.pk}, member.chapter_id),
    ]


def test_a_rule_tag_is_not_set_or_removed_by_hand(admin_scope, member, give):
    tag = services.create_rule_tag(
        actor=admin_scope, name="熟人", rule_type=RuleType.STAGE, params={"stages": [4]}
    )
    with pytest.raises(ValidationError) as exc:
        services.tag_member(actor=admin_scope, tag=tag, member=member)
    assert _messages(exc) == {"tag_id": ["“熟人” is a rule tag: its rule decides who has it."]}
    assert not MemberTag.objects.exists()
    give(tag, member, source=TagSource.RULE)
    with pytest.raises(ValidationError):
        services.untag_member(actor=admin_scope, tag=tag, member=member)
    assert MemberTag.objects.count() == 1
    tag.refresh_from_db()
    assert tag.member_count == 1


def test_a_member_of_another_organisation_is_refused(admin_scope, tag):
    stranger = MemberFactory(organization=OrganizationFactory())
    with pytest.raises(ValidationError):
        services.tag_member(actor=admin_scope, tag=tag, member=stranger)
    assert not MemberTag.objects.exists()


def test_tag_many_members_at_once(admin_scope, org, tag, give):
    people = [MemberFactory(organization=org) for _ in range(3)]
    give(tag, people[0])
    ids = [p.pk for p in people]
    counts = services.tag_members(actor=admin_scope, tag=tag, member_ids=[*ids, ids[1]])
    assert counts.added == 2
    tag.refresh_from_db()
    assert tag.member_count == 3
    assert set(MemberTag.objects.values_list("member_id", flat=True)) == set(ids)
    assert AuditEntry.objects.filter(object_type="membertag").count() == 2


def test_tag_many_only_in_the_actor_scope(head_scope, tag, member, other_member):
    with pytest.raises(ValidationError) as exc:
        services.tag_members(actor=head_scope, tag=tag, member_ids=[member.pk, other_member.pk])
    assert _messages(exc) == {"member_ids": [f"No such members in your scope: {other_member.pk}."]}
    assert not MemberTag.objects.exists()
    tag.refresh_from_db()
    assert tag.member_count == 0
    assert services.tag_members(actor=head_scope, tag=tag, member_ids=[member.pk]).added == 1


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "Choose at least one member."),
        (list(range(1, 502)), "At most 500 members at once."),
        ([True], "Member ids are whole numbers."),
        (["12"], "Member ids are whole numbers."),
    ],
)
def test_bad_member_lists_change_nothing(admin_scope, tag, ids, message):
    with pytest.raises(ValidationError) as exc:
        services.tag_members(actor=admin_scope, tag=tag, member_ids=ids)
    assert _messages(exc) == {"member_ids": [message]}
    assert not MemberTag.objects.exists()


def test_merged_members_are_not_tagged_in_bulk(admin_scope, org, tag):
    survivor = MemberFactory(organization=org)
    merged = MemberFactory(organization=org, merged_into=survivor)
    with pytest.raises(ValidationError):
        services.tag_members(actor=admin_scope, tag=tag, member_ids=[merged.pk])
    assert not MemberTag.objects.exists()


# --- deleting a tag -----------------------------------------------------------------------------


def test_deleting_a_tag_used_by_segments_needs_confirmation(admin_scope, org, tag, member, give):
    give(tag, member)
    keep = Tag.objects.create(organization=org, name="讲师")
    segment = Segment.objects.create(
        organization=org, name="上海培训经理", filters={"tags_any": [tag.pk, keep.pk]}
    )
    Segment.objects.create(organization=org, name="别的", filters={"tags_none": [keep.pk]})
    with pytest.raises(services.TagInUseError) as exc:
        services.delete_tag(actor=admin_scope, tag=tag)
    assert [s.name for s in exc.value.segments] == ["上海培训经理"]
    assert exc.value.messages == ["This tag is used by the segments 上海培训经理."]
    assert Tag.objects.filter(pk=tag.pk).exists()
    assert MemberTag.objects.count() == 1
    segment.refresh_from_db()
    assert segment.filters == {"tags_any": [tag.pk, keep.pk]}

    assert services.delete_tag(actor=admin_scope, tag=tag, confirm=True) == 1
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert not MemberTag.objects.exists()
    segment.refresh_from_db()
    assert segment.filters == {"tags_any": [keep.pk]}
    deleted = AuditEntry.objects.get(object_type="tag", action=AuditAction.DELETE)
    assert deleted.changes["name"] == "培训经理"


def test_deleting_an_unused_tag(admin_scope, tag):
    assert services.delete_tag(actor=admin_scope, tag=tag) == 0
    assert not Tag.objects.exists()
