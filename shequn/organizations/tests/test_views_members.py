"""A community's member list, role changes, removals and adding members from the console."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shequn.audit.models import AuditEntry
from shequn.members.models import Member, Membership, MembershipRole, MembershipStatus
from shequn.members.tests.factories import MemberFactory, MembershipFactory
from shequn.organizations.models import CommunityStatus


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def _detail(community) -> str:
    return f"/communities/{community.pk}/"


def _role_url(community, membership) -> str:
    return f"/communities/{community.pk}/members/{membership.pk}/role/"


def _remove_url(community, membership) -> str:
    return f"/communities/{community.pk}/members/{membership.pk}/remove/"


def _add_url(community) -> str:
    return f"/communities/{community.pk}/members/add/"


def _join(community, name: str, days_ago: int, **kwargs) -> Membership:
    person = MemberFactory(organization=community.organization, display_name=name)
    return MembershipFactory(
        community=community,
        member=person,
        joined_at=timezone.now() - timedelta(days=days_ago),
        **kwargs,
    )


# --- the member list ---------------------------------------------------------------------------


def test_member_list_search_filter_sort(client_as, chapter_head, community):
    _join(community, "Alice", 3, role=MembershipRole.KOL)
    _join(community, "Bob", 1)
    _join(community, "Carol", 2, status=MembershipStatus.LEFT)
    client = client_as("chapter_head")

    def names(**params: str) -> list[str]:
        page = client.get(_detail(community), params).context["page"]
        return [m.member.display_name for m in page]

    assert names() == ["Bob", "Alice"]  # active only, newest first
    assert names(status="all") == ["Bob", "Carol", "Alice"]
    assert names(status="left") == ["Carol"]
    assert names(sort="name") == ["Alice", "Bob"]
    assert names(sort="-name") == ["Bob", "Alice"]
    assert names(sort="joined") == ["Alice", "Bob"]
    assert names(sort="role") == ["Alice", "Bob"]  # kol before member
    assert names(role="kol") == ["Alice"]
    assert names(q="ali") == ["Alice"]
    assert names(status="nope", sort="evil", role="x") == ["Bob", "Alice"]


def test_member_list_paginates_by_25(client_as, org_admin, community):
    for i in range(27):
        _join(community, f"成员{i:02d}", i)
    client = client_as("org_admin")
    first = client.get(_detail(community), {"sort": "name"})
    assert [m.member.display_name for m in first.context["page"]][:2] == ["成员00", "成员01"]
    assert len(first.context["page"].object_list) == 25
    body = first.content.decode()
    assert 'href="?sort=name&amp;page=2"' in body
    second = client.get(_detail(community), {"sort": "name", "page": "2"})
    assert [m.member.display_name for m in second.context["page"]] == ["成员25", "成员26"]


def test_member_list_htmx_partial(client_as, org_admin, community, member):
    response = client_as("org_admin").get(_detail(community), {"q": "张"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert "<h1>" not in body
    assert f'id="membership-{member.memberships.get().pk}"' in body
    assert "Showing 1–1" in body  # a search has no maintained total; nothing is counted


@pytest.mark.parametrize("rows", [3, 10])
def test_member_list_queries_do_not_grow(
    client_as, org_admin, community, django_assert_num_queries, rows
):
    for i in range(rows):
        _join(community, f"成员{i}", i)
    client = client_as("org_admin")
    # session, user, operator; community (its counter is the total); page; activity panel;
    # joining panel (rules, held seats, waitlist, leave requests); invite links panel
    with django_assert_num_queries(11):
        response = client.get(_detail(community))
    assert response.context["page"].paginator.count == rows


@pytest.mark.parametrize("rows", [3, 10])
def test_member_list_queries_do_not_grow_for_a_chapter_head(
    client_as, chapter_head, community, django_assert_num_queries, rows
):
    for i in range(rows):
        _join(community, f"成员{i}", i)
    client = client_as("chapter_head")
    # as above, plus the chapter head's chapters
    with django_assert_num_queries(12):
        client.get(_detail(community), {"sort": "role"})


# --- roles -------------------------------------------------------------------------------------


def test_role_change_with_htmx_returns_the_row(client_as, chapter_head, community, member):
    membership = member.memberships.get()
    response = client_as("chapter_head").post(
        _role_url(community, membership),
        {"role": MembershipRole.STUDY_COMMITTEE},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith(f'<tr id="membership-{membership.pk}">')
    assert '<option value="study_committee" selected>' in body
    assert "The role of 张三 was changed." in body
    membership.refresh_from_db()
    assert membership.role == MembershipRole.STUDY_COMMITTEE
    entry = AuditEntry.objects.get()
    assert entry.changes == {"role": ["member", "study_committee"]}


def test_role_change_without_htmx_redirects(client_as, org_admin, community, member):
    membership = member.memberships.get()
    response = client_as("org_admin").post(
        _role_url(community, membership), {"role": MembershipRole.ADMIN}, follow=True
    )
    assert response.redirect_chain == [(_detail(community), 302)]
    assert [str(m) for m in response.context["messages"]] == ["The role of 张三 was changed."]


def test_unknown_role_is_refused_and_changes_nothing(client_as, org_admin, community, member):
    membership = member.memberships.get()
    response = client_as("org_admin").post(
        _role_url(community, membership), {"role": "emperor"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Select a valid choice. emperor is not one of the available choices." in (
        response.content.decode()
    )
    membership.refresh_from_db()
    assert membership.role == MembershipRole.MEMBER
    assert AuditEntry.objects.count() == 0


# --- removal -----------------------------------------------------------------------------------


def test_remove_with_htmx_returns_the_ended_row(client_as, assistant, community, member):
    membership = member.memberships.get()
    response = client_as("assistant").post(
        _remove_url(community, membership), {"reason": "违反群规"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert '<span class="badge status status-removed">Removed</span>' in body
    assert "张三 was removed from the community." in body
    assert _remove_url(community, membership) not in body
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REMOVED
    assert membership.left_at is not None


def test_removing_twice_is_refused(client_as, org_admin, community, member):
    membership = member.memberships.get()
    client = client_as("org_admin")
    reason = {"reason": "违反群规"}
    client.post(_remove_url(community, membership), reason, follow=True)
    count = AuditEntry.objects.count()
    response = client.post(_remove_url(community, membership), reason, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "This membership has already ended." in response.content.decode()
    again = client.post(_remove_url(community, membership), reason, follow=True)
    assert [str(m) for m in again.context["messages"]] == ["This membership has already ended."]
    assert AuditEntry.objects.count() == count


# --- adding members ----------------------------------------------------------------------------


def test_add_page_searches_members_with_htmx(client_as, chapter_head, community, member):
    MemberFactory(
        organization=community.organization, chapter=community.chapter, display_name="张伟"
    )
    response = client_as("chapter_head").get(
        _add_url(community), {"q": "张"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body
    assert [(m.display_name, m.in_community) for m in response.context["candidates"]] == [
        ("张三", True),
        ("张伟", False),
    ]
    assert "Already a member" in body
    assert body.count('name="existing-member_id"') == 1


def test_add_an_existing_member(client_as, chapter_head, community):
    person = MemberFactory(organization=community.organization, chapter=community.chapter)
    response = client_as("chapter_head").post(
        _add_url(community),
        {"action": "existing", "existing-member_id": person.pk, "existing-role": "kol"},
        follow=True,
    )
    assert response.redirect_chain == [(_detail(community), 302)]
    assert [str(m) for m in response.context["messages"]] == [f"{person.display_name} was added."]
    membership = Membership.objects.get(member=person)
    assert (membership.community, membership.role, membership.source) == (
        community,
        "kol",
        "console",
    )


def test_adding_someone_already_in_is_refused(client_as, org_admin, community, member):
    response = client_as("org_admin").post(
        _add_url(community) + "?q=张",
        {"action": "existing", "existing-member_id": member.pk, "existing-role": "member"},
    )
    assert response.status_code == 200
    assert response.context["existing_form"].non_field_errors() == [
        "张三 is already a member of this community."
    ]
    assert "张三 is already a member of this community." in response.content.decode()
    assert Membership.objects.count() == 1


def test_adding_to_a_full_community_is_refused(client_as, org_admin, community, member):
    community.capacity = 1
    community.save(update_fields=["capacity"])
    before = (Member.objects.count(), Membership.objects.count(), AuditEntry.objects.count())
    response = client_as("org_admin").post(
        _add_url(community), {"action": "new", "new-display_name": "王五", "new-role": "member"}
    )
    assert response.status_code == 200
    assert response.context["new_form"].non_field_errors() == [
        "This community is full (1 members)."
    ]
    assert (Member.objects.count(), Membership.objects.count(), AuditEntry.objects.count()) == (
        before
    )


def test_adding_to_an_archived_community_is_refused(client_as, org_admin, community):
    community.status = CommunityStatus.ARCHIVED
    community.save(update_fields=["status"])
    person = MemberFactory(organization=community.organization)
    response = client_as("org_admin").post(
        _add_url(community),
        {"action": "existing", "existing-member_id": person.pk, "existing-role": "member"},
    )
    assert response.status_code == 200
    assert response.context["existing_form"].non_field_errors() == ["This community is not active."]
    assert "nobody can be added to it" in response.content.decode()
    assert Membership.objects.count() == 0


def test_create_and_add_a_new_member(client_as, assistant, community):
    response = client_as("assistant").post(
        _add_url(community),
        {
            "action": "new",
            "new-display_name": " 王五 ",
            "new-phone": "13800000000",
            "new-email": "wangwu@example.com",
            "new-role": "study_committee",
        },
    )
    assert response.status_code == 302
    person = Member.objects.get(display_name="王五")
    assert (person.phone, person.email, person.chapter) == (
        "+8613800000000",
        "wangwu@example.com",
        community.chapter,
    )
    assert person.memberships.get().role == "study_committee"


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"new-display_name": ""}, "display_name", "required"),
        ({"new-display_name": "名" * 65}, "display_name", "max_length"),
        ({"new-email": "not-an-email"}, "email", "invalid"),
        ({"new-phone": "1" * 33}, "phone", "max_length"),
        ({"new-phone": "12345"}, "phone", "invalid_phone"),
        ({"new-role": "emperor"}, "role", "invalid_choice"),
    ],
)
def test_bad_new_member_input_saves_nothing(client_as, org_admin, community, data, field, code):
    post = {"action": "new", "new-display_name": "王五", "new-role": "member"} | data
    response = client_as("org_admin").post(_add_url(community), post)
    assert response.status_code == 200
    assert response.context["new_form"].has_error(field, code=code)
    assert 'class="errorlist' in response.content.decode()
    assert Member.objects.count() == 0
    assert Membership.objects.count() == 0


def test_chapter_head_cannot_add_a_member_out_of_scope(
    client_as, chapter_head, community, other_member
):
    response = client_as("chapter_head").post(
        _add_url(community),
        {"action": "existing", "existing-member_id": other_member.pk, "existing-role": "member"},
    )
    assert response.status_code == 404
    assert not Membership.objects.filter(member=other_member, community=community).exists()


def test_unknown_action_only_shows_the_page(client_as, org_admin, community):
    response = client_as("org_admin").post(_add_url(community), {"action": "explode"})
    assert response.status_code == 200
    assert Member.objects.count() == 0
