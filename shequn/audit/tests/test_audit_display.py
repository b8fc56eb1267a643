"""The audit log reads as a sentence in the reader's language: labels, values, names, links,
the organisation's time zone; filters by operator and dates; names resolved per page."""

from __future__ import annotations

import datetime

import pytest

from shequn.accounts.models import OperatorRole
from shequn.accounts.services import create_operator, issue_api_token, update_operator
from shequn.audit.display import ObjectRef
from shequn.audit.models import AuditAction, AuditEntry
from shequn.audit.services import record_audit
from shequn.members.models import Membership
from shequn.organizations.services import archive_community
from shequn.organizations.tests.factories import CommunityFactory

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def _rows(client, query: str = ""):
    return client.get(f"/audit/{query}").context["rows"]


def _changes(row) -> list[tuple[str, list[str], list[str]]]:
    """(label, old names, new names) of a row's changes; names with their links."""

    def names(refs) -> list[str]:
        return [f"{r.name} <{r.url}>" if r.url else r.name for r in refs]

    return [(c.label, names(c.old), names(c.new)) for c in row.changes]


def test_choices_foreign_keys_datetimes_and_empty_values(
    client_as, scope_of, org_admin, community, chapter
) -> None:
    record_audit(
        actor=scope_of(org_admin),
        action=AuditAction.UPDATE,
        target=community,
        changes={
            "chapter": [None, chapter.pk],
            "kind": ["lead_gen", "regional"],
            "access": ["private", "open"],
            "ends_at": [None, "2026-05-03T12:00:00+00:00"],
            "intro": ["", "每周沙龙"],
        },
        chapter_id=chapter.pk,
        community_id=community.pk,
    )
    (row,) = _rows(client_as("org_admin"))
    assert row.object == ObjectRef("上海沙龙群", f"/communities/{community.pk}/")
    assert row.object_type == "Community"
    assert _changes(row) == [
        ("Chapter", ["—"], [f"上海分会 </chapters/{chapter.pk}/>"]),
        ("Kind", ["Lead-gen group"], ["Regional group"]),
        ("Access", ["Private (invitation or approval)"], ["Open"]),
        ("Introduction", ["—"], ["每周沙龙"]),
        ("Ends at", ["—"], ["2026-05-03 20:00"]),  # 12:00 UTC is 20:00 in Shanghai
    ]
    html = client_as("org_admin").get("/audit/").content.decode()
    assert (
        f'<span class="field-label">Chapter</span>:\n                    — → '
        f'<a href="/chapters/{chapter.pk}/">上海分会</a>' in html
    )
    assert "[None" not in html


def test_in_chinese(client_as, scope_of, org_admin, community, settings) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    archive_community(actor=scope_of(org_admin), community=community)
    client = client_as("org_admin")
    (row,) = _rows(client)
    assert (row.action, row.object_type) == ("已归档", "社群")
    assert _changes(row) == [("状态", ["进行中"], ["已归档"])]
    html = client.get("/audit/").content.decode()
    assert "时间为组织所在时区（Asia/Shanghai）" in html
    assert '<th scope="col">变更字段</th>' in html


def test_operator_scope_lists_booleans_and_password(
    client_as, scope_of, org_admin, org, community, other_community
) -> None:
    admin = scope_of(org_admin)
    operator = create_operator(
        actor=admin,
        organization=org,
        username="helper",
        password="a-long-passphrase-2026",
        role=OperatorRole.ASSISTANT,
        communities=[community, other_community],
    )
    update_operator(
        actor=admin,
        operator=operator,
        role=OperatorRole.ASSISTANT,
        communities=[community],
        is_active=False,
    )
    record_audit(
        actor=admin, action=AuditAction.UPDATE, target=operator, changes={"password": "***"}
    )
    password, update, create = _rows(client_as("org_admin"), "?object_type=operator")
    link = f"/accounts/operators/{operator.pk}/edit/"
    assert create.object == update.object == ObjectRef("helper", link)
    assert create.action == "Created"
    assert _changes(create) == [
        ("Role", [], ["Assistant"]),
        (
            "Communities",
            [],
            [
                f"上海沙龙群 </communities/{community.pk}/>",
                f"北京沙龙群 </communities/{other_community.pk}/>",
            ],
        ),
        ("Active", [], ["Yes"]),
    ]
    assert _changes(update) == [
        (
            "Communities",
            [
                f"上海沙龙群 </communities/{community.pk}/>",
                f"北京沙龙群 </communities/{other_community.pk}/>",
            ],
            [f"上海沙龙群 </communities/{community.pk}/>"],
        ),
        ("Active", ["Yes"], ["No"]),
    ]
    assert _changes(password) == [("Password", [], ["changed (not shown)"])]


def test_links_only_where_the_reader_may_go(
    client_as, scope_of, org_admin, member, chapter, other_chapter
) -> None:
    """A chapter head sees a member moved into their chapter from another one: the other
    chapter by name, without a link (its page is not theirs)."""
    record_audit(
        actor=scope_of(org_admin),
        action=AuditAction.UPDATE,
        target=member,
        changes={"chapter": [other_chapter.pk, chapter.pk]},
        chapter_id=chapter.pk,
    )
    (head_row,) = _rows(client_as("chapter_head"))
    assert head_row.object == ObjectRef("张三", f"/members/{member.pk}/")
    assert _changes(head_row) == [
        ("Home chapter", ["北京分会"], [f"上海分会 </chapters/{chapter.pk}/>"]),
    ]
    (admin_row,) = _rows(client_as("org_admin"))
    assert _changes(admin_row) == [
        (
            "Home chapter",
            [f"北京分会 </chapters/{other_chapter.pk}/>"],
            [f"上海分会 </chapters/{chapter.pk}/>"],
        ),
    ]


def test_memberships_tokens_and_deleted_objects(
    client_as, scope_of, org_admin, assistant, member, community
) -> None:
    membership = Membership.objects.get(member=member, community=community)
    admin = scope_of(org_admin)
    record_audit(
        actor=admin,
        action=AuditAction.UPDATE,
        target=membership,
        changes={"role": ["member", "kol"]},
        chapter_id=community.chapter_id,
        community_id=community.pk,
    )
    issue_api_token(actor=scope_of(assistant), operator=assistant, name="企微同步")
    gone = CommunityFactory(organization=community.organization, chapter=community.chapter)
    record_audit(
        actor=admin,
        action=AuditAction.UPDATE,
        target=gone,
        changes={"chapter": [community.chapter_id, 987654]},
        chapter_id=community.chapter_id,
    )
    gone_id = gone.pk
    gone_name = gone.name
    gone.delete()

    token, role = _rows(client_as("assistant"))
    assert role.object == ObjectRef("张三 in 上海沙龙群", f"/members/{member.pk}/")
    assert role.object_type == "Membership"
    assert _changes(role) == [("Role", ["Member"], ["KOL"])]
    # The assistant's own action, though the token is placed in no community.
    assert token.object == ObjectRef("企微同步", "/accounts/tokens/")
    assert (token.action, token.actor) == ("Issued an API token", "assistant")

    deleted, admin_token, _role = _rows(client_as("org_admin"))
    assert admin_token.object == ObjectRef("企微同步")  # someone else's token: no link
    assert deleted.entry.object_id == str(gone_id)
    assert deleted.object == ObjectRef(gone_name)  # the name recorded, no link
    assert _changes(deleted) == [
        (
            "Chapter",
            [f"上海分会 </chapters/{community.chapter_id}/>"],
            ["#987654 (no longer exists)"],
        )
    ]


def test_date_filters_are_days_in_the_organisation_zone(
    client_as, scope_of, org_admin, member
) -> None:
    entry = record_audit(
        actor=scope_of(org_admin),
        action=AuditAction.UPDATE,
        target=member,
        changes={"notes": ["", "x"]},
    )
    # 2026-03-01 16:30 UTC is 2026-03-02 00:30 in Shanghai.
    AuditEntry.objects.filter(pk=entry.pk).update(
        created_at=datetime.datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    )
    client = client_as("org_admin")

    def pks(query: str) -> list[int]:
        return [row.entry.pk for row in _rows(client, f"?{query}")]

    assert pks("date_from=2026-03-02") == [entry.pk]
    assert pks("date_to=2026-03-02") == [entry.pk]
    assert pks("date_from=2026-03-02&date_to=2026-03-02") == [entry.pk]
    assert pks("date_to=2026-03-01") == []
    assert pks("date_from=2026-03-03") == []


def test_bad_dates_say_so_and_are_ignored(client_as, scope_of, org_admin, member) -> None:
    entry = record_audit(
        actor=scope_of(org_admin), action=AuditAction.UPDATE, target=member, changes={}
    )
    client = client_as("org_admin")
    response = client.get("/audit/?date_from=2026-03-05&date_to=2026-03-01")
    assert response.context["form"].errors == {
        "date_to": ["The end date is before the start date."]
    }
    html = response.content.decode()
    assert "<p>To: The end date is before the start date.</p>" in html
    assert [row.entry.pk for row in response.context["rows"]] == [entry.pk]  # from 03-05 on
    response = client.get("/audit/?date_from=yesterday", HTTP_HX_REQUEST="true")
    assert response.context["form"].errors == {"date_from": ["Enter a valid date."]}
    assert "<p>From: Enter a valid date.</p>" in response.content.decode()
    assert [row.entry.pk for row in response.context["rows"]] == [entry.pk]


def test_system_entries(client_as, member, org) -> None:
    record_audit(
        actor=None,
        action=AuditAction.UPDATE,
        target=member,
        changes={"user": [None, member.user_id], "email": "zhangsan@example.com"},
        organization_id=org.pk,
    )
    client = client_as("org_admin")
    (row,) = _rows(client, "?operator=system")
    assert row.actor == "System"
    assert _changes(row) == [
        ("Web account", ["—"], ["zhangsan@example.com"]),
        ("Email", [], ["zhangsan@example.com"]),
    ]


@pytest.mark.parametrize("rounds", [1, 4])
def test_names_are_resolved_in_constant_queries(
    rounds,
    client_as,
    scope_of,
    org_admin,
    member,
    community,
    chapter,
    django_assert_num_queries,
) -> None:
    admin = scope_of(org_admin)
    membership = Membership.objects.get(member=member, community=community)
    for _ in range(rounds):
        record_audit(
            actor=admin,
            action=AuditAction.UPDATE,
            target=member,
            changes={"chapter": [None, chapter.pk]},
        )
        record_audit(actor=admin, action=AuditAction.UPDATE, target=community, changes={})
        record_audit(
            actor=admin,
            action=AuditAction.UPDATE,
            target=membership,
            changes={"role": ["member", "kol"]},
        )
        record_audit(actor=admin, action=AuditAction.UPDATE, target=org_admin, changes={})
        record_audit(actor=admin, action=AuditAction.UPDATE, target=chapter, changes={})
    client = client_as("org_admin")
    # session, user, operator, operators (filter), count, entries; then one query each for
    # members, communities, memberships, operators and chapters (values and objects alike)
    with django_assert_num_queries(11):
        response = client.get("/audit/")
    assert len(response.context["rows"]) == 5 * rounds


def test_membership_name_in_chinese(client_as, scope_of, org_admin, member, community, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    membership = Membership.objects.get(member=member, community=community)
    record_audit(
        actor=scope_of(org_admin),
        action=AuditAction.UPDATE,
        target=membership,
        changes={"role": ["member", "owner"]},
    )
    (row,) = _rows(client_as("org_admin"))
    assert (row.object, row.object_type) == (
        ObjectRef("张三（上海沙龙群）", f"/members/{member.pk}/"),
        "入群记录",
    )
    assert _changes(row) == [("角色", ["成员"], ["群主"])]
