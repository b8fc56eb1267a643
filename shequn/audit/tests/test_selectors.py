from shequn.audit.selectors import list_audit_entries
from shequn.organizations.services import update_community


def test_audit_entries_are_scoped(
    org_admin, chapter_head, assistant, community, other_community, scope_of
):
    admin = scope_of(org_admin)
    update_community(actor=admin, community=community, data={"intro": "上海"})
    update_community(actor=admin, community=other_community, data={"intro": "北京"})
    assert [e.object_repr for e in list_audit_entries(actor=admin)] == ["北京沙龙群", "上海沙龙群"]
    for persona in (chapter_head, assistant):
        entries = list(list_audit_entries(actor=scope_of(persona)))
        assert [e.object_repr for e in entries] == ["上海沙龙群"]
        assert entries[0].changes == {"intro": ["", "上海"]}
        assert entries[0].actor_name == "admin"
