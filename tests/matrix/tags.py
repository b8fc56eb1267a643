"""Permission-matrix rows of tags (see tests/matrix/common.py).

Tag groups, tags and rule tags (create, edit, preview, switch on and off, delete): admins.
The tag list and a tag's members: every operator (members in their scope). Tagging and
untagging a member by hand: every operator who can see the member (404 otherwise).
"""

from __future__ import annotations

from tests.matrix.common import ADMIN_PAGE, OM, PAGE, Fixtures, M, Row

ADMIN_ACT = (302, 403, 403, 403, 403, 302)
ACT = (302, 302, 302, 403, 403, 302)
ACT_OTHER = (302, 404, 404, 403, 403, 302)
G = {"group_id": "tag_group"}
T = {"tag_id": "tag"}
R = {"tag_id": "rule_tag"}
API_ALL = (200, 200, 200, 401, 401, 401)
API_ADMIN = (200, 403, 403, 401, 401, 401)

CONSOLE: list[Row] = [
    Row("tags:list", {}, "get", PAGE),
    Row("tags:group_create", {}, "get", ADMIN_PAGE),
    Row("tags:group_create", {}, "post", ADMIN_PAGE),  # empty: the form again
    Row("tags:group_edit", G, "get", ADMIN_PAGE),
    Row("tags:group_edit", G, "post", ADMIN_PAGE),
    Row("tags:group_delete", G, "post", ADMIN_ACT),
    Row("tags:tag_create", {}, "get", ADMIN_PAGE),
    Row("tags:tag_create", {}, "post", ADMIN_PAGE),
    Row("tags:rule_create", {}, "get", ADMIN_PAGE),
    Row("tags:rule_create", {}, "post", ADMIN_PAGE),
    Row("tags:rule_preview", {}, "post", (422, 403, 403, 403, 403, 302)),  # no keyword
    Row("tags:detail", T, "get", PAGE),
    Row("tags:detail", R, "get", PAGE),
    Row("tags:edit", T, "get", ADMIN_PAGE),
    Row("tags:edit", T, "post", ADMIN_PAGE),
    Row("tags:edit", R, "get", ADMIN_PAGE),
    Row("tags:delete", T, "get", ADMIN_PAGE),
    Row("tags:delete", T, "post", ADMIN_ACT),
    Row("tags:preview", R, "post", ADMIN_PAGE),
    Row("tags:activate", R, "post", ADMIN_ACT),
    Row("tags:deactivate", R, "post", ADMIN_ACT),
    Row("tags:member_tag_add", M, "post", ACT),  # no tag chosen: back to the member page
    Row("tags:member_tag_add", OM, "post", ACT_OTHER),
    Row("tags:member_tag_remove", {**M, **T}, "post", ACT),
    Row("tags:member_tag_remove", {**OM, **T}, "post", ACT_OTHER),
]
PORTAL: list[Row] = []
API: list[Row] = [
    Row("/tag-groups", {}, "get", API_ALL),
    Row("/tag-groups", {}, "post", (201, 403, 403, 401, 401, 401), {"name": "城市"}),
    Row("/tag-groups/{group_id}", G, "patch", API_ADMIN, {"position": 3}),
    Row("/tag-groups/{group_id}", G, "delete", (204, 403, 403, 401, 401, 401)),
    Row("/tags", {}, "get", API_ALL),
    Row("/tags", {}, "post", (201, 403, 403, 401, 401, 401), {"name": "讲师"}),
    Row(
        "/tags/preview",
        {},
        "post",
        API_ADMIN,
        {"rule_type": "stage", "rule": {"stages": [1, 2]}},
    ),
    Row("/tags/{tag_id}", T, "get", API_ALL),
    Row("/tags/{tag_id}", T, "patch", API_ADMIN, {"description": "内训"}),
    Row("/tags/{tag_id}", T, "delete", (204, 403, 403, 401, 401, 401)),
    Row("/tags/{tag_id}/preview", R, "post", API_ADMIN),
    Row("/tags/{tag_id}/activate", R, "post", API_ADMIN),
    Row("/tags/{tag_id}/deactivate", R, "post", API_ADMIN),
    Row("/tags/{tag_id}/members", T, "get", API_ALL),
    # The matrix cannot put a world id in a list: an unknown id is a 422 for every operator.
    Row(
        "/tags/{tag_id}/members", T, "post", (422, 422, 422, 401, 401, 401), {"member_ids": [2**62]}
    ),
    Row("/members/{member_id}/tags", M, "get", API_ALL),
    Row("/members/{member_id}/tags", OM, "get", (200, 404, 404, 401, 401, 401)),
    Row(
        "/members/{member_id}/tags",
        M,
        "post",
        (200, 200, 200, 401, 401, 401),  # had it already
        {"tag_id": "@tag"},
    ),
    Row(
        "/members/{member_id}/tags",
        OM,
        "post",
        (200, 404, 404, 401, 401, 401),
        {"tag_id": "@tag"},
    ),
    Row("/members/{member_id}/tags/{tag_id}", {**M, **T}, "delete", (204, 204, 204, 401, 401, 401)),
    Row(
        "/members/{member_id}/tags/{tag_id}", {**OM, **T}, "delete", (204, 404, 404, 401, 401, 401)
    ),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """An empty tag group; a tag set by hand that `member` and `other_member` have; a rule tag
    (stage, switched off)."""
    from django.utils import timezone

    from shequn.tags.models import MemberTag, RuleType, Tag, TagGroup, TagSource

    group = TagGroup.objects.create(organization=fixtures.org, name="行业")
    tag = Tag.objects.create(organization=fixtures.org, name="培训经理", member_count=2)
    for person in (fixtures.member, fixtures.other_member):
        MemberTag.objects.create(
            tag=tag,
            member=person,
            organization=fixtures.org,
            source=TagSource.MANUAL,
            added_at=timezone.now(),
        )
    rule_tag = Tag.objects.create(
        organization=fixtures.org,
        name="熟悉的人",
        rule_type=RuleType.STAGE,
        rule={"stages": [4]},
    )
    return {"tag_group": group.pk, "tag": tag.pk, "rule_tag": rule_tag.pk}
