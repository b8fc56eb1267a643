"""The audit log page: scoped per persona, filtered, paginated, changes shown old → new."""

from __future__ import annotations

import datetime

import pytest

from shequn.audit.display import ObjectRef
from shequn.audit.models import AuditAction, AuditEntry
from shequn.audit.services import record_audit

OPERATORS = ("org_admin", "chapter_head", "assistant")
DENIED = {"member": 403, "outsider": 403, "anonymous": 302}
PERSONAS = (*OPERATORS, *DENIED)


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def entries(scope_of, org_admin, chapter_head, assistant, member, other_member, community):
    """One entry in `chapter` (about `member`), one in `other_chapter` (about `other_member`),
    one in `community` (by the assistant)."""
    admin = scope_of(org_admin)
    return {
        "here": record_audit(
            actor=admin,
            action=AuditAction.UPDATE,
            target=member,
            changes={"display_name": ["张", "张三"]},
            chapter_id=member.chapter_id,
        ),
        "there": record_audit(
            actor=admin,
            action=AuditAction.UPDATE,
            target=other_member,
            changes={"phone": ["", "139"]},
            chapter_id=other_member.chapter_id,
        ),
        "community": record_audit(
            actor=scope_of(assistant),
            action=AuditAction.CREATE,
            target=community,
            changes={"name": "上海沙龙群"},
            community_id=community.pk,
        ),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_permissions(persona, client_as, entries) -> None:
    response = client_as(persona).get("/audit/")
    if persona in OPERATORS:
        assert response.status_code == 200
    else:
        assert response.status_code == DENIED[persona]
        if persona == "anonymous":
            assert response["Location"] == "/accounts/login/?next=/audit/"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("org_admin", ["community", "there", "here"]),
        ("chapter_head", ["community", "here"]),
        ("assistant", ["community"]),
    ],
)
def test_scope(persona, expected, client_as, entries) -> None:
    rows = client_as(persona).get("/audit/").context["rows"]
    ids = {entry.pk: name for name, entry in entries.items()}
    assert [ids[row.entry.pk] for row in rows] == expected


def test_filters(client_as, entries, org_admin, chapter_head, assistant) -> None:
    client = client_as("org_admin")

    def pks(query: str) -> list[int]:
        return [row.entry.pk for row in client.get(f"/audit/?{query}").context["rows"]]

    assert pks("action=create") == [entries["community"].pk]
    assert pks("action=update&object_type=member") == [
        entries["there"].pk,
        entries["here"].pk,
    ]
    assert pks("object_type=community") == [entries["community"].pk]
    assert pks(f"operator={assistant.user_id}") == [entries["community"].pk]
    assert pks(f"operator={org_admin.user_id}") == [entries["there"].pk, entries["here"].pk]
    assert pks("operator=system") == []
    assert pks("action=bogus&object_type=nothing&operator=nobody") == [
        entries["community"].pk,
        entries["there"].pk,
        entries["here"].pk,
    ]
    form = client.get("/audit/").context["form"]
    assert form.fields["object_type"].choices == [
        ("", "All object types"),
        ("chapter", "Chapter"),
        ("community", "Community"),
        ("member", "Member"),
        ("identity", "Identity"),
        ("membership", "Membership"),
        ("operator", "Operator account"),
        ("apitoken", "API token"),
    ]
    assert form.fields["operator"].choices == [
        ("", "All operators"),
        ("system", "System"),
        (str(org_admin.user_id), "admin"),
        (str(assistant.user_id), "assistant"),
        (str(chapter_head.user_id), "head"),
    ]
    # Other operators see their own account only, as on the operator pages.
    head_form = client_as("chapter_head").get("/audit/").context["form"]
    assert head_form.fields["operator"].choices == [
        ("", "All operators"),
        ("system", "System"),
        (str(chapter_head.user_id), "head"),
    ]


def test_entry_shows_time_in_shanghai_who_action_object_and_changes(
    client_as, entries, member
) -> None:
    AuditEntry.objects.filter(pk=entries["here"].pk).update(
        created_at=datetime.datetime(2026, 3, 1, 16, 30, 5, tzinfo=datetime.UTC)
    )
    response = client_as("chapter_head").get("/audit/?object_type=member")
    html = response.content.decode()
    # 16:30 UTC is 00:30 the next day in Shanghai
    assert '<time datetime="2026-03-02T00:30:05+08:00">2026-03-02 00:30:05</time>' in html
    assert '<td data-label="Who">admin</td>' in html
    assert '<td data-label="Action">Updated</td>' in html
    assert (
        f'<a href="/members/{member.pk}/">张三</a> <span class="muted small">Member</span>' in html
    )
    assert '<span class="field-label">Display name</span>:' in html
    assert "张 → 张三" in html
    (row,) = response.context["rows"]
    assert [(c.field, c.label, c.old, c.new, c.is_change) for c in row.changes] == [
        ("display_name", "Display name", (ObjectRef("张"),), (ObjectRef("张三"),), True)
    ]


def test_snapshot_changes_are_shown_as_values(client_as, entries) -> None:
    response = client_as("assistant").get("/audit/")
    (row,) = response.context["rows"]
    assert [(c.label, c.new, c.is_change) for c in row.changes] == [
        ("Name", (ObjectRef("上海沙龙群"),), False)
    ]
    assert '<td data-label="Action">Created</td>' in response.content.decode()


def test_paginated_by_50(client_as, scope_of, org_admin, member) -> None:
    admin = scope_of(org_admin)
    for i in range(55):
        record_audit(
            actor=admin, action=AuditAction.UPDATE, target=member, changes={"notes": [i, i + 1]}
        )
    client = client_as("org_admin")
    first = client.get("/audit/").context["page"]
    assert len(first) == 50
    assert first.paginator.count == 55
    second = client.get("/audit/?page=2").context["page"]
    assert [e.changes["notes"] for e in second] == [[i, i + 1] for i in range(4, -1, -1)]
    html = client.get("/audit/?action=update&page=1").content.decode()
    assert '<p class="result-count">55 entries</p>' in html
    assert 'href="?action=update&amp;page=2"' in html


def test_htmx_renders_entries_only(client_as, entries) -> None:
    response = client_as("org_admin").get("/audit/?action=create", HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates] == [
        "audit/partials/entries.html",
        "console/_pagination.html",
    ]
    assert response.content.decode().lstrip().startswith('<div id="audit-entries">')
    assert response["Vary"] == "HX-Request, Accept-Language, Cookie"


@pytest.mark.parametrize("persona", OPERATORS)
@pytest.mark.parametrize("rows", [3, 10])
def test_queries_are_constant(
    persona, rows, client_as, entries, member, community, django_assert_num_queries
) -> None:
    for i in range(rows):
        record_audit(
            actor=None,
            action=AuditAction.UPDATE,
            target=member,
            changes={"notes": [str(i), str(i + 1)]},
            chapter_id=member.chapter_id,
            community_id=community.pk,
        )
    client = client_as(persona)
    # session, user, operator, scope ids (not for admins), operators (filter), count, rows,
    # then the names on the page: members, communities (the entries' objects)
    with django_assert_num_queries(8 if persona == "org_admin" else 9):
        response = client.get("/audit/")
    assert len(response.context["rows"]) == rows + {"org_admin": 3, "chapter_head": 2}.get(
        persona, 1
    )
