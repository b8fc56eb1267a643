"""API v1 of tags: groups, tags and rule tags, preview, switching, members, a member's tags;
problems for bad input (nothing saved), conflicts and scope."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from shequn.audit.models import AuditEntry
from shequn.members.tests.factories import MemberFactory
from shequn.profiles.tests.helpers import act
from shequn.segments.models import Segment
from shequn.tags.models import MemberTag, Tag, TagGroup, TagSource

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


def _post(client, path, body, method="post"):
    return getattr(client, method)(
        BASE + path, data=json.dumps(body), content_type="application/json"
    )


def test_tag_groups_crud(api_client_as, group):
    client = api_client_as("org_admin")
    response = _post(client, "/tag-groups", {"name": "城市", "colour": "teal", "position": 2})
    assert response.status_code == 201
    created = response.json()
    assert {k: created[k] for k in ("name", "colour", "position")} == {
        "name": "城市",
        "colour": "teal",
        "position": 2,
    }
    listed = client.get(BASE + "/tag-groups").json()
    assert [g["name"] for g in listed["items"]] == ["行业", "城市"]
    assert listed["count"] == 2
    response = _post(client, f"/tag-groups/{created['id']}", {"name": "所在城市"}, "patch")
    assert response.status_code == 200
    assert response.json()["name"] == "所在城市"
    assert client.delete(BASE + f"/tag-groups/{created['id']}").status_code == 204
    assert list(TagGroup.objects.values_list("name", flat=True)) == ["行业"]


def test_duplicate_group_name_is_a_422(api_client_as, group):
    response = _post(api_client_as("org_admin"), "/tag-groups", {"name": "行业"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"] == [
        {"loc": ["body", "name"], "msg": "Another tag group of this organisation has this name."}
    ]
    assert TagGroup.objects.count() == 1


def test_deleting_a_group_with_tags_is_a_409(api_client_as, group, tag):
    response = api_client_as("org_admin").delete(BASE + f"/tag-groups/{group.pk}")
    assert response.status_code == 409
    assert TagGroup.objects.filter(pk=group.pk).exists()


def test_create_tags_and_rule_tags(api_client_as, group):
    client = api_client_as("org_admin")
    response = _post(client, "/tags", {"name": "讲师", "group_id": group.pk})
    assert response.status_code == 201
    body = response.json()
    assert (body["rule_type"], body["is_active"], body["shown_colour"], body["member_count"]) == (
        None,
        True,
        "green",
        0,
    )
    response = _post(
        client,
        "/tags",
        {"name": "北京", "rule_type": "keyword", "rule": {"keywords": ["北京"], "window_days": 90}},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["rule_type"], body["is_active"]) == ("keyword", False)
    assert body["rule"] == {
        "keywords": ["北京"],
        "match": "word",
        "min_count": 1,
        "window_days": 90,
    }


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        (
            {"name": "北京", "rule_type": "keyword", "rule": {"keywords": []}},
            ["body", "rule", "keywords"],
            "Enter at least one keyword.",
        ),
        (
            {
                "name": "北京",
                "rule_type": "keyword",
                "rule": {"keywords": ["[a"], "match": "regex"},
            },
            ["body", "rule", "keywords"],
            "This is not a valid regular expression: unterminated character set at position 0",
        ),
        (
            {
                "name": "北京",
                "rule_type": "keyword",
                "rule": {"keywords": ["北京"], "min_count": 0},
            },
            ["body", "rule", "min_count"],
            "Ensure this value is at least 1.",
        ),
        (
            {"name": "熟人", "rule_type": "stage", "rule": {"stages": [9]}},
            ["body", "rule", "stages"],
            "Choose stages of the ladder.",
        ),
        (
            {"name": "熟人", "rule_type": "layer", "rule": {"layer": "vip"}},
            ["body", "rule", "layer"],
            "Unknown value. Expected 'new', 'core', 'active', 'casual', 'lurker' or 'dormant'.",
        ),
        (
            {"name": "链接", "rule_type": "invite_link", "rule": {"invite_link_id": 99999}},
            ["body", "rule", "invite_link_id"],
            "Choose an invite link of yours.",
        ),
        ({"name": "培训经理"}, ["body", "name"], "Another tag of this organisation has this name."),
        ({"name": ""}, ["body", "name"], "This field cannot be empty."),
        ({"name": "讲师", "rule": {"stages": [1]}}, ["body", "rule_type"], "Choose a rule."),
    ],
)
def test_bad_tags_are_422_and_save_nothing(api_client_as, tag, body, loc, msg):
    response = _post(api_client_as("org_admin"), "/tags", body)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"loc": loc, "msg": msg}]
    assert list(Tag.objects.values_list("name", flat=True)) == ["培训经理"]


def test_group_of_another_organisation_is_a_404(api_client_as):
    from shequn.organizations.tests.factories import OrganizationFactory

    far = TagGroup.objects.create(organization=OrganizationFactory(), name="别家")
    response = _post(api_client_as("org_admin"), "/tags", {"name": "讲师", "group_id": far.pk})
    assert response.status_code == 404
    assert not Tag.objects.exists()


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_may_not_manage_tags(api_client_as, persona, tag):
    client = api_client_as(persona)
    assert _post(client, "/tags", {"name": "讲师"}).status_code == 403
    assert _post(client, f"/tags/{tag.pk}", {"name": "讲师"}, "patch").status_code == 403
    assert client.delete(BASE + f"/tags/{tag.pk}").status_code == 403
    assert _post(client, "/tag-groups", {"name": "城市"}).status_code == 403
    assert client.get(BASE + "/tags").status_code == 200
    assert list(Tag.objects.values_list("name", flat=True)) == ["培训经理"]


def test_list_tags_filters_and_queries(api_client_as, org, group, tag, django_assert_num_queries):
    Tag.objects.create(organization=org, name="熟人", rule_type="stage", rule={"stages": [4]})
    client = api_client_as("org_admin")
    with django_assert_num_queries(3):  # the token with its operator, its last use, the tags
        response = client.get(BASE + "/tags")
    assert [t["name"] for t in response.json()["items"]] == ["培训经理", "熟人"]
    assert [t["name"] for t in client.get(BASE + "/tags?rule=true").json()["items"]] == ["熟人"]
    assert [t["name"] for t in client.get(BASE + f"/tags?group_id={group.pk}").json()["items"]] == [
        "培训经理"
    ]


def test_preview_a_rule_body_and_a_saved_rule(api_client_as, org, community):
    trip = MemberFactory(organization=org, display_name="出差的人")
    student = MemberFactory(organization=org, display_name="学生")
    when = timezone.now() - datetime.timedelta(hours=1)
    act(trip, community, "message", when, text="我去北京出差")
    act(student, community, "message", when, text="我在北京大学读书")
    client = api_client_as("org_admin")
    response = _post(
        client, "/tags/preview", {"rule_type": "keyword", "rule": {"keywords": ["北京"]}}
    )
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "examples": [{"id": trip.pk, "display_name": "出差的人"}],
        "messages_read": 2,
        "capped": False,
    }
    tag = Tag.objects.create(
        organization=org,
        name="北京",
        rule_type="keyword",
        rule={"keywords": ["北京"], "match": "word", "min_count": 1, "window_days": None},
    )
    assert client.post(BASE + f"/tags/{tag.pk}/preview").json()["count"] == 1
    assert not MemberTag.objects.exists()
    bad = _post(client, "/tags/preview", {"rule_type": "stage", "rule": {}})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"loc": ["body", "rule", "stages"], "msg": "Choose at least one stage."}
    ]


def test_activate_and_deactivate(
    api_client_as, org, member, huey_immediate, django_capture_on_commit_callbacks
):
    from shequn.ladder.models import MemberStage

    MemberStage.objects.create(
        member=member, organization=org, stage=4, computed_stage=4, since=timezone.now()
    )
    tag = Tag.objects.create(organization=org, name="熟人", rule_type="stage", rule={"stages": [4]})
    client = api_client_as("org_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BASE + f"/tags/{tag.pk}/activate")
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    tag.refresh_from_db()
    assert tag.member_count == 1
    assert list(MemberTag.objects.values_list("member_id", "source")) == [(member.pk, "rule")]
    response = client.post(BASE + f"/tags/{tag.pk}/deactivate")
    assert response.json()["is_active"] is False
    assert response.json()["member_count"] == 0
    assert not MemberTag.objects.exists()


def test_activating_a_tag_set_by_hand_is_a_409(api_client_as, tag):
    response = api_client_as("org_admin").post(BASE + f"/tags/{tag.pk}/activate")
    assert response.status_code == 409
    assert (
        response.json()["detail"] == "This tag is set by hand; it has no rule to switch on or off."
    )


def test_patch_a_rule(api_client_as, org, django_capture_on_commit_callbacks):
    tag = Tag.objects.create(
        organization=org, name="熟人", rule_type="stage", rule={"stages": [4]}, is_active=True
    )
    client = api_client_as("org_admin")
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(client, f"/tags/{tag.pk}", {"rule": {"stages": [5, 6]}}, "patch")
    assert response.status_code == 200
    assert response.json()["rule"] == {"stages": [5, 6]}
    assert len(callbacks) == 1  # applied again
    bad = _post(client, f"/tags/{tag.pk}", {"rule": {"stages": []}}, "patch")
    assert bad.status_code == 422
    tag.refresh_from_db()
    assert tag.rule == {"stages": [5, 6]}
    assert _post(client, f"/tags/{tag.pk}", {"group_id": None}, "patch").status_code == 200
    assert _post(client, f"/tags/{tag.pk}", {"name": None}, "patch").status_code == 422


def test_delete_used_by_segments_is_a_409_naming_them(api_client_as, org, tag):
    segment = Segment.objects.create(
        organization=org, name="培训经理们", filters={"tags_any": [tag.pk]}
    )
    client = api_client_as("org_admin")
    response = client.delete(BASE + f"/tags/{tag.pk}")
    assert response.status_code == 409
    problem = response.json()
    assert problem["segments"] == [{"id": segment.pk, "name": "培训经理们"}]
    assert problem["detail"] == "This tag is used by the segments 培训经理们."
    assert Tag.objects.filter(pk=tag.pk).exists()
    assert client.delete(BASE + f"/tags/{tag.pk}?confirm=true").status_code == 204
    assert not Tag.objects.exists()
    segment.refresh_from_db()
    assert segment.filters.get("tags_any", []) == []  # the tag is out of its filters


def test_tag_members_in_scope_paged(
    api_client_as, org, tag, member, other_member, give, django_assert_num_queries
):
    give(tag, member)
    give(tag, other_member)
    admin = api_client_as("org_admin").get(BASE + f"/tags/{tag.pk}/members?order=name").json()
    assert [i["display_name"] for i in admin["items"]] == ["李四", "张三"]
    assert admin["items"][0]["source"] == "manual"
    head = api_client_as("chapter_head")
    with django_assert_num_queries(5):  # token, chapters, last use, the tag, the page
        page = head.get(BASE + f"/tags/{tag.pk}/members?limit=1").json()
    assert [i["member_id"] for i in page["items"]] == [member.pk]
    assert page["next_offset"] is None


def test_bulk_tagging(api_client_as, org, tag, member, other_member):
    client = api_client_as("chapter_head")
    response = _post(
        client, f"/tags/{tag.pk}/members", {"member_ids": [member.pk, other_member.pk]}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "member_ids"], "msg": f"No such members in your scope: {other_member.pk}."}
    ]
    assert not MemberTag.objects.exists()
    response = _post(client, f"/tags/{tag.pk}/members", {"member_ids": [member.pk]})
    assert response.json() == {"added": 1}
    too_many = _post(client, f"/tags/{tag.pk}/members", {"member_ids": list(range(1, 502))})
    assert too_many.status_code == 422
    tag.refresh_from_db()
    assert tag.member_count == 1


def test_member_tags_list_add_remove(api_client_as, org, tag, member, give):
    rule_tag = Tag.objects.create(
        organization=org, name="熟人", rule_type="stage", rule={"stages": [4]}, is_active=True
    )
    give(rule_tag, member, source=TagSource.RULE)
    client = api_client_as("assistant")
    response = _post(client, f"/members/{member.pk}/tags", {"tag_id": tag.pk})
    assert response.status_code == 201
    assert response.json()["name"] == "培训经理"
    assert response.json()["source"] == "manual"
    assert _post(client, f"/members/{member.pk}/tags", {"tag_id": tag.pk}).status_code == 200
    listed = client.get(BASE + f"/members/{member.pk}/tags").json()
    assert [(t["name"], t["source"], t["rule_type"]) for t in listed] == [
        ("培训经理", "manual", None),
        ("熟人", "rule", "stage"),
    ]
    refused = _post(client, f"/members/{member.pk}/tags", {"tag_id": rule_tag.pk})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "tag_id"]
    assert client.delete(BASE + f"/members/{member.pk}/tags/{rule_tag.pk}").status_code == 409
    assert client.delete(BASE + f"/members/{member.pk}/tags/{tag.pk}").status_code == 204
    assert client.delete(BASE + f"/members/{member.pk}/tags/{tag.pk}").status_code == 204
    assert list(MemberTag.objects.values_list("tag_id", flat=True)) == [rule_tag.pk]
    tag.refresh_from_db()
    assert tag.member_count == 0
    assert AuditEntry.objects.filter(object_type="membertag").count() == 2


def test_member_tags_out_of_scope_are_404(api_client_as, tag, other_member):
    client = api_client_as("chapter_head")
    assert client.get(BASE + f"/members/{other_member.pk}/tags").status_code == 404
    assert _post(client, f"/members/{other_member.pk}/tags", {"tag_id": tag.pk}).status_code == 404
    assert not MemberTag.objects.exists()


def test_problems_in_chinese(api_client_as, tag):
    response = api_client_as("org_admin").post(
        BASE + "/tags",
        data=json.dumps({"name": ""}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert Tag.objects.count() == 1
