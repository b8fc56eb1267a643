"""Permission-matrix rows of merges (see tests/matrix/common.py).

Organisation admins and chapter heads (members in their scope) review and merge; assistants,
members and outsiders never. `dup_*` are in the chapter head's `community`; `far_*` in
`other_community` (a chapter head and an assistant get 404/403 for them).
"""

from __future__ import annotations

from tests.matrix.common import Fixtures, Row

REVIEW = (200, 200, 403, 403, 403, 302)
REVIEW_OTHER = (200, 404, 403, 403, 403, 302)
ACT = (302, 302, 403, 403, 403, 302)
ACT_OTHER = (302, 404, 403, 403, 403, 302)
S, FS = {"suggestion_id": "dup_suggestion"}, {"suggestion_id": "far_suggestion"}
MG, FMG = {"merge_id": "dup_merge"}, {"merge_id": "far_merge"}
API_REVIEW = (200, 200, 403, 401, 401, 401)
API_REVIEW_OTHER = (200, 404, 403, 401, 401, 401)

CONSOLE: list[Row] = [
    Row("merges:queue", {}, "get", REVIEW),
    Row("merges:suggestion", S, "get", REVIEW),
    Row("merges:suggestion", FS, "get", REVIEW_OTHER),
    Row("merges:suggestion_accept", S, "post", ACT),
    Row("merges:suggestion_accept", FS, "post", ACT_OTHER),
    Row("merges:suggestion_reject", S, "post", ACT),
    Row("merges:suggestion_reject", FS, "post", ACT_OTHER),
    Row("merges:bulk_accept", {}, "get", REVIEW),
    Row("merges:bulk_accept", {}, "post", REVIEW),  # no confirmation: the form again
    Row("merges:history", {}, "get", REVIEW),
    Row("merges:unmerge", MG, "post", ACT),
    Row("merges:unmerge", FMG, "post", ACT_OTHER),
    Row("merges:create", {}, "get", (404, 404, 403, 403, 403, 302)),  # no source named
    Row("merges:create", {}, "post", (404, 404, 403, 403, 403, 302)),
    Row("merges:member_panel", {"member_id": "member"}, "get", (200, 200, 200, 403, 403, 302)),
    Row(
        "merges:member_panel", {"member_id": "other_member"}, "get", (200, 404, 404, 403, 403, 302)
    ),
    Row("merges:auto_merge", {}, "post", (302, 403, 403, 403, 403, 302)),
    Row("merges:refresh", {}, "post", ACT),
]
PORTAL: list[Row] = []
API: list[Row] = [
    Row("/merge-suggestions", {}, "get", API_REVIEW),
    Row("/merge-suggestions/{suggestion_id}/accept", S, "post", API_REVIEW),
    Row("/merge-suggestions/{suggestion_id}/accept", FS, "post", API_REVIEW_OTHER),
    Row("/merge-suggestions/{suggestion_id}/reject", S, "post", API_REVIEW),
    Row("/merge-suggestions/{suggestion_id}/reject", FS, "post", API_REVIEW_OTHER),
    Row("/merges", {}, "get", API_REVIEW),
    Row(
        "/merges",
        {},
        "post",
        (201, 201, 403, 401, 401, 401),
        {"source_id": "@dup_b", "target_id": "@dup_a"},
    ),
    Row("/merges/{merge_id}/unmerge", MG, "post", API_REVIEW),
    Row("/merges/{merge_id}/unmerge", FMG, "post", API_REVIEW_OTHER),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """Two open pairs (one in scope, one far) and two merges (in scope, far)."""
    from shequn.accounts.selectors import build_scope
    from shequn.members.merge_suggestions import refresh_merge_suggestions
    from shequn.members.merging import merge_members
    from shequn.members.models import MergeSuggestion
    from shequn.members.tests.factories import MemberFactory, MembershipFactory

    org = fixtures.org
    made: dict[str, int] = {}
    for prefix, community in (("dup", fixtures.community), ("far", fixtures.other_community)):
        pair = []
        for i, name in enumerate(("a", "b", "c", "d")):
            email = f"{prefix}-{'ab' if i < 2 else 'cd'}@example.com"
            m = MemberFactory(organization=org, display_name=f"{prefix}{name}", email=email)
            MembershipFactory(member=m, community=community)
            made[f"{prefix}_{name}"] = m.pk
            pair.append(m)
        admin = build_scope(fixtures.org_admin)
        merge = merge_members(actor=admin, source=pair[3], target=pair[2])
        made[f"{prefix}_merge"] = merge.pk
    refresh_merge_suggestions(org)
    for prefix in ("dup", "far"):
        made[f"{prefix}_suggestion"] = MergeSuggestion.objects.get(
            member_a_id=made[f"{prefix}_a"], member_b_id=made[f"{prefix}_b"]
        ).pk
    return made
