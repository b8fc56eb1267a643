"""Console pages of tags: the list, forms with bad input, the rule form per type and its preview,
switching on and off, a tag's members in the viewer's scope, deleting a tag that segments use,
and the member page's panel (htmx and plain)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.members.tests.factories import MemberFactory, MembershipFactory
from shequn.profiles.tests.helpers import act
from shequn.segments.models import Segment
from shequn.tags.models import MemberTag, RuleType, Tag, TagGroup, TagSource

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_nav_has_a_tags_link(client_as):
    body = client_as("assistant").get(reverse("members:list")).content.decode()
    assert f'<a href="{reverse("tags:list")}">Tags</a>' in body


def test_list_by_group_with_colours_and_counters(
    client_as, org, group, tag, member, give, django_assert_num_queries
):
    give(tag, member)
    Tag.objects.create(organization=org, name="未分组", colour="purple", member_count=7)
    Tag.objects.create(
        organization=org, group=group, name="北京", rule_type="keyword", rule={}, is_active=True
    )
    client = client_as("org_admin")
    client.get(reverse("tags:list"))  # warm the session and the operator
    with django_assert_num_queries(5):  # session, user, operator; the groups, the tags
        response = client.get(reverse("tags:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<span class="tag-chip tag-green">行业</span>' in body
    assert (
        f'class="tag-chip tag-green" href="{reverse("tags:detail", args=[tag.pk])}">培训经理'
        in body
    )
    assert 'class="tag-chip tag-purple"' in body
    assert ">7</td>" in body
    assert ">1</td>" in body
    assert body.index("行业") < body.index("No group")
    assert "A keyword in messages" in body
    assert 'class="badge status-active">On' in body
    assert reverse("tags:rule_create") in body


def test_scoped_operators_see_the_list_without_the_buttons(client_as, tag):
    body = client_as("chapter_head").get(reverse("tags:list")).content.decode()
    assert "培训经理" in body
    assert reverse("tags:tag_create") not in body
    assert reverse("tags:group_create") not in body


def test_group_form_with_a_duplicate_name_saves_nothing(client_as, group):
    client = client_as("org_admin")
    response = client.post(
        reverse("tags:group_create"), {"name": "行业", "colour": "red", "position": 0}
    )
    assert response.status_code == 200
    assert "Another tag group of this organisation has this name." in response.content.decode()
    assert TagGroup.objects.count() == 1
    response = client.post(
        reverse("tags:group_create"), {"name": "城市", "colour": "red", "position": 2}
    )
    assert response.status_code == 302
    assert TagGroup.objects.get(name="城市").colour == "red"


def test_group_edit_and_delete(client_as, group, tag):
    client = client_as("org_admin")
    url = reverse("tags:group_edit", args=[group.pk])
    response = client.post(url, {"name": "所在行业", "colour": "blue", "position": 5})
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.colour, group.position) == ("所在行业", "blue", 5)
    response = client.post(reverse("tags:group_delete", args=[group.pk]), follow=True)
    assert "The group still has tags." in response.content.decode()
    tag.delete()
    client.post(reverse("tags:group_delete", args=[group.pk]))
    assert not TagGroup.objects.exists()


def test_tag_form(client_as, group):
    client = client_as("org_admin")
    page = client.get(reverse("tags:tag_create") + f"?group={group.pk}").content.decode()
    assert f'<option value="{group.pk}" selected>行业</option>' in page
    response = client.post(
        reverse("tags:tag_create"),
        {"name": "讲师", "group_id": group.pk, "colour": "", "description": "内训"},
    )
    assert response.status_code == 302
    tag = Tag.objects.get()
    assert (tag.name, tag.group_id, tag.colour, tag.rule_type) == ("讲师", group.pk, "", "")
    response = client.post(reverse("tags:tag_create"), {"name": "讲师"})
    assert "Another tag of this organisation has this name." in response.content.decode()
    response = client.post(reverse("tags:edit", args=[tag.pk]), {"name": "金牌讲师"})
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.group_id) == ("金牌讲师", None)
    assert Tag.objects.count() == 1


@pytest.mark.parametrize(
    ("rule_type", "expected"),
    [
        ("keyword", ['name="keywords"', 'name="match"', 'name="min_count"', 'name="window_days"']),
        ("event_kind", ['name="event_kind"', 'name="window_days"']),
        ("stage", ['name="stages"']),
        ("layer", ['name="layer"', 'name="community_id"']),
        ("invite_link", ['name="invite_link_id"']),
        ("activity_kind", ['name="activity_kind"', 'name="min_count"', 'name="window_days"']),
    ],
)
def test_rule_form_has_the_fields_of_its_type(client_as, rule_type, expected, community):
    body = client_as("org_admin").get(reverse("tags:rule_create") + f"?type={rule_type}")
    html = body.content.decode()
    every = {
        'name="keywords"',
        'name="match"',
        'name="min_count"',
        'name="window_days"',
        'name="event_kind"',
        'name="activity_kind"',
        'name="stages"',
        'name="layer"',
        'name="community_id"',
        'name="invite_link_id"',
    }
    assert {f for f in every if f in html} == set(expected)
    assert f'name="rule_type" value="{rule_type}"' in html
    assert 'aria-current="page">' in html


def test_stage_choices_are_the_seven_stages(client_as):
    html = client_as("org_admin").get(reverse("tags:rule_create") + "?type=stage").content.decode()
    assert html.count('name="stages"') == 7
    for value in range(7):
        assert f'name="stages" value="{value}"' in html


def test_invite_link_choices_show_purpose_and_inviter(client_as, community, member):
    link = InviteLinkFactory(community=community, purpose="海报活动", inviter_member=member)
    html = client_as("org_admin").get(reverse("tags:rule_create") + "?type=invite_link")
    assert f'<option value="{link.pk}">海报活动 · 上海沙龙群 · invited by 张三</option>' in (
        html.content.decode()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"keywords": "", "match": "word"}, "Enter at least one keyword."),
        ({"keywords": "(", "match": "regex"}, "This is not a valid regular expression"),
        ({"keywords": "北京", "match": "word", "min_count": "0"}, "Ensure this value is greater"),
        (
            {"keywords": "北京", "match": "word", "window_days": "4000"},
            "Ensure this value is less than or equal to 3650.",
        ),
    ],
)
def test_rule_form_bad_input_saves_nothing(client_as, data, message):
    response = client_as("org_admin").post(
        reverse("tags:rule_create"), {"name": "北京", "rule_type": "keyword", **data}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Tag.objects.exists()


def test_rule_form_saves_a_switched_off_rule_tag(client_as):
    response = client_as("org_admin").post(
        reverse("tags:rule_create") + "?type=stage",
        {"name": "熟人", "rule_type": "stage", "stages": ["4", "5"], "colour": "teal"},
    )
    tag = Tag.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tags:detail", args=[tag.pk])
    assert (tag.rule_type, tag.rule, tag.is_active, tag.colour) == (
        "stage",
        {"stages": [4, 5]},
        False,
        "teal",
    )


def test_a_regular_expression_with_commas_is_kept_whole(client_as):
    client_as("org_admin").post(
        reverse("tags:rule_create"),
        {"name": "电话", "rule_type": "keyword", "keywords": r"1\d{2,3}", "match": "regex"},
    )
    assert Tag.objects.get().rule["keywords"] == [r"1\d{2,3}"]


def test_rule_edit_shows_the_saved_rule_and_changes_it(client_as, org):
    tag = Tag.objects.create(
        organization=org,
        name="北京",
        rule_type=RuleType.KEYWORD,
        rule={"keywords": ["北京", "京城"], "match": "word", "min_count": 2, "window_days": 30},
    )
    client = client_as("org_admin")
    html = client.get(reverse("tags:edit", args=[tag.pk])).content.decode()
    assert "北京\n京城</textarea>" in html
    assert 'name="min_count" value="2"' in html
    response = client.post(
        reverse("tags:edit", args=[tag.pk]),
        {"name": "北京", "rule_type": "event_kind", "event_kind": "salon"},
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.rule_type, tag.rule) == ("event_kind", {"event_kind": "salon", "window_days": None})


def _keyword_world(org, community):
    trip = MemberFactory(organization=org, display_name="出差的人")
    MembershipFactory(member=trip, community=community)
    student = MemberFactory(organization=org, display_name="学生")
    MembershipFactory(member=student, community=community)
    now = timezone.now() - datetime.timedelta(hours=1)
    act(trip, community, "message", now, text="我去北京出差")
    act(student, community, "message", now, text="我在北京大学读书")
    return trip, student


def test_preview_is_an_htmx_partial_with_count_and_examples(client_as, org, community):
    trip, _student = _keyword_world(org, community)
    response = client_as("org_admin").post(
        reverse("tags:rule_preview"),
        {"rule_type": "keyword", "keywords": "北京", "match": "word", "name": ""},
        **HX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "1 member would have this tag now." in body
    assert f'href="{reverse("members:detail", args=[trip.pk])}">出差的人</a>' in body
    assert "学生" not in body
    assert not Tag.objects.exists()


def test_preview_says_when_it_read_only_the_newest_messages(client_as, org, community, monkeypatch):
    from shequn.tags import rules

    monkeypatch.setattr(rules, "PREVIEW_MESSAGES", 1)
    _keyword_world(org, community)
    response = client_as("org_admin").post(
        reverse("tags:rule_preview"),
        {"rule_type": "keyword", "keywords": "北京", "match": "word"},
        **HX,
    )
    body = response.content.decode()
    assert "Only the newest 1 messages with the words were read: more members may match." in body


def test_preview_of_bad_rule_is_a_422_partial(client_as):
    response = client_as("org_admin").post(
        reverse("tags:rule_preview"), {"rule_type": "stage"}, **HX
    )
    assert response.status_code == 422
    assert "Choose at least one stage." in response.content.decode()


def test_preview_without_htmx_is_a_page(client_as):
    response = client_as("org_admin").post(
        reverse("tags:rule_preview"), {"rule_type": "stage", "stages": ["0"]}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body
    assert "0 members would have this tag now." in body


def test_saved_rule_preview_switch_on_and_off(
    client_as, org, community, huey_immediate, django_capture_on_commit_callbacks
):
    trip, _student = _keyword_world(org, community)
    tag = Tag.objects.create(
        organization=org,
        name="北京",
        rule_type=RuleType.KEYWORD,
        rule={"keywords": ["北京"], "match": "word", "min_count": 1, "window_days": None},
    )
    client = client_as("org_admin")
    detail = client.get(reverse("tags:detail", args=[tag.pk])).content.decode()
    assert reverse("tags:activate", args=[tag.pk]) in detail
    assert "Keywords</dt><dd>北京" in detail
    preview = client.post(reverse("tags:preview", args=[tag.pk]), **HX).content.decode()
    assert "1 member would have this tag now." in preview
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tags:activate", args=[tag.pk]))
    assert response.status_code == 302
    assert list(MemberTag.objects.values_list("member_id", "source")) == [(trip.pk, "rule")]
    detail = client.get(reverse("tags:detail", args=[tag.pk])).content.decode()
    assert reverse("tags:deactivate", args=[tag.pk]) in detail
    assert "出差的人" in detail
    assert "By rule" in detail
    client.post(reverse("tags:deactivate", args=[tag.pk]))
    tag.refresh_from_db()
    assert (tag.is_active, tag.member_count, MemberTag.objects.count()) == (False, 0, 0)


def test_tag_members_are_those_in_the_viewer_scope(
    client_as, tag, member, other_member, give, django_assert_max_num_queries
):
    give(tag, member)
    give(tag, other_member)
    url = reverse("tags:detail", args=[tag.pk])
    admin = client_as("org_admin").get(url).content.decode()
    assert "张三" in admin
    assert "李四" in admin
    for persona in ("chapter_head", "assistant"):
        client = client_as(persona)
        for order in ("newest", "name"):
            body = client.get(url + f"?order={order}").content.decode()
            assert "张三" in body
            assert "李四" not in body
    client = client_as("chapter_head")
    client.get(url)
    with django_assert_max_num_queries(7):
        client.get(url + "?order=name")


def test_tag_members_newest_first_or_by_name_paged(client_as, org, tag, give):
    now = timezone.now()
    names = ["王五", "阿三", "赵六"]
    for n, name in enumerate(names):
        give(
            tag,
            MemberFactory(organization=org, display_name=name),
            added_at=now + n * datetime.timedelta(minutes=1),
        )
    url = reverse("tags:detail", args=[tag.pk])
    client = client_as("org_admin")
    newest = client.get(url).content.decode()
    assert newest.index("赵六") < newest.index("阿三") < newest.index("王五")
    by_name = client.get(url + "?order=name").content.decode()
    assert by_name.index("阿三") < by_name.index("王五") < by_name.index("赵六")


def test_by_name_for_a_large_tag_walks_the_name_index(client_as, org, tag, give, monkeypatch):
    from shequn.tags import selectors

    monkeypatch.setattr(selectors, "NAME_ORDER_ID_LIMIT", 1)
    for name in ("王五", "阿三"):
        give(tag, MemberFactory(organization=org, display_name=name))
    body = client_as("org_admin").get(reverse("tags:detail", args=[tag.pk]) + "?order=name")
    html = body.content.decode()
    assert html.index("阿三") < html.index("王五")


def test_delete_a_tag_used_by_a_segment_asks_first(client_as, org, tag, member, give):
    give(tag, member)
    segment = Segment.objects.create(
        organization=org, name="上海培训经理", filters={"tags_all": [tag.pk]}
    )
    client = client_as("org_admin")
    url = reverse("tags:delete", args=[tag.pk])
    page = client.get(url).content.decode()
    assert "上海培训经理" in page
    assert 'name="confirm" value="1"' in page
    assert "1 member has this tag." in page
    response = client.post(url)
    assert response.status_code == 200
    assert "This tag is used by the segments 上海培训经理." in response.content.decode()
    assert Tag.objects.filter(pk=tag.pk).exists()
    segment.refresh_from_db()
    assert segment.filters == {"tags_all": [tag.pk]}
    response = client.post(url, {"confirm": "1"}, follow=True)
    assert "It was taken out of the filters of 1 segments." in response.content.decode()
    assert not Tag.objects.exists()
    segment.refresh_from_db()
    assert segment.filters.get("tags_all", []) == []  # the tag is out of its filters


def test_delete_an_unused_tag(client_as, tag):
    client = client_as("org_admin")
    page = client.get(reverse("tags:delete", args=[tag.pk])).content.decode()
    assert 'name="confirm"' not in page
    assert client.post(reverse("tags:delete", args=[tag.pk])).status_code == 302
    assert not Tag.objects.exists()


# --- the member page's panel --------------------------------------------------------------------


def test_member_panel_shows_chips_rule_marks_and_the_add_form(
    client_as, org, group, tag, member, give
):
    rule_tag = Tag.objects.create(
        organization=org, name="熟人", rule_type="stage", rule={"stages": [4]}, is_active=True
    )
    spare = Tag.objects.create(organization=org, name="讲师", colour="red")
    give(tag, member)
    give(rule_tag, member, source=TagSource.RULE)
    html = client_as("assistant").get(reverse("members:detail", args=[member.pk])).content.decode()
    panel = html[html.index('id="tags-member-panel"') :]
    assert "tags/tags.css" in html
    assert (
        f'class="tag-chip tag-green" href="{reverse("tags:detail", args=[tag.pk])}">培训经理'
        in panel
    )
    assert 'tag-chip tag-grey"' in panel
    assert "by rule" in panel
    assert reverse("tags:member_tag_remove", args=[member.pk, tag.pk]) in panel
    assert reverse("tags:member_tag_remove", args=[member.pk, rule_tag.pk]) not in panel
    assert f'<option value="{spare.pk}">讲师</option>' in panel
    assert f'<option value="{tag.pk}">' not in panel


def test_member_panel_add_and_remove_with_htmx(client_as, tag, member):
    client = client_as("chapter_head")
    add = reverse("tags:member_tag_add", args=[member.pk])
    response = client.post(add, {"tag_id": tag.pk}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<section class="card" id="tags-member-panel">')
    assert "培训经理" in body
    tag.refresh_from_db()
    assert tag.member_count == 1
    remove = reverse("tags:member_tag_remove", args=[member.pk, tag.pk])
    body = client.post(remove, **HX).content.decode()
    assert "No tags yet." in body
    tag.refresh_from_db()
    assert (tag.member_count, MemberTag.objects.count()) == (0, 0)


def test_member_panel_without_htmx_redirects_to_the_member(client_as, tag, member):
    response = client_as("assistant").post(
        reverse("tags:member_tag_add", args=[member.pk]), {"tag_id": tag.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("members:detail", args=[member.pk])
    assert MemberTag.objects.filter(member=member, tag=tag).exists()


def test_a_rule_tag_cannot_be_added_or_removed_in_the_panel(client_as, org, member, give):
    rule_tag = Tag.objects.create(
        organization=org, name="熟人", rule_type="stage", rule={"stages": [4]}
    )
    client = client_as("org_admin")
    response = client.post(
        reverse("tags:member_tag_add", args=[member.pk]), {"tag_id": rule_tag.pk}, **HX
    )
    assert response.status_code == 422
    assert "“熟人” is a rule tag: its rule decides who has it." in response.content.decode()
    assert not MemberTag.objects.exists()
    give(rule_tag, member, source=TagSource.RULE)
    response = client.post(reverse("tags:member_tag_remove", args=[member.pk, rule_tag.pk]), **HX)
    assert response.status_code == 422
    assert MemberTag.objects.count() == 1


def test_members_out_of_scope_are_not_tagged(client_as, tag, other_member):
    for persona in ("chapter_head", "assistant"):
        response = client_as(persona).post(
            reverse("tags:member_tag_add", args=[other_member.pk]), {"tag_id": tag.pk}
        )
        assert response.status_code == 404
    assert not MemberTag.objects.exists()


def test_a_tag_of_another_organisation_is_not_found(client_as, member):
    from shequn.organizations.tests.factories import OrganizationFactory

    foreign = Tag.objects.create(organization=OrganizationFactory(), name="别家")
    response = client_as("org_admin").post(
        reverse("tags:member_tag_add", args=[member.pk]), {"tag_id": foreign.pk}
    )
    assert response.status_code == 404
    assert not MemberTag.objects.exists()


def test_pages_in_chinese(client_as, tag, member):
    client = client_as("org_admin")
    response = client.get(reverse("tags:list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
