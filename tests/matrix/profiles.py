"""Permission-matrix rows of profiles (see tests/matrix/common.py).

Talk notes and the timeline: every operator who may see the member. Editing, deleting and
marking a follow-up done: the note's author (`talk_note` is the assistant's) or an organisation
admin; the chapter head sees the note but may not change it. `far_talk_note` is on a member of
the other chapter (the admin's): scoped operators get 404. Follow-ups: every operator's own.
"""

from __future__ import annotations

from tests.matrix.common import API_OTHER, API_READ, OM, OTHER, PAGE, Fixtures, M, Row

N, FN = {"note_id": "talk_note"}, {"note_id": "far_talk_note"}
FORM = (422, 422, 422, 403, 403, 302)  # an empty post: the form again, with its errors
FORM_OTHER = (422, 404, 404, 403, 403, 302)
AUTHOR_PAGE = (200, 403, 200, 403, 403, 302)
AUTHOR_FORM = (422, 403, 422, 403, 403, 302)
AUTHOR_ACT = (302, 403, 302, 403, 403, 302)
FAR_ACT = (302, 404, 404, 403, 403, 302)
NOTE_BODY = {"body": "聊了近况，想参加线下沙龙"}

CONSOLE: list[Row] = [
    Row("profiles:notes", M, "get", PAGE),
    Row("profiles:notes", OM, "get", OTHER),
    Row("profiles:note_add", M, "post", FORM),
    Row("profiles:note_add", OM, "post", FORM_OTHER),
    Row("profiles:timeline", M, "get", PAGE),
    Row("profiles:timeline", OM, "get", OTHER),
    Row("profiles:note_edit", N, "get", AUTHOR_PAGE),
    Row("profiles:note_edit", N, "post", AUTHOR_FORM),
    Row("profiles:note_edit", FN, "get", OTHER),
    Row("profiles:note_delete", N, "post", AUTHOR_ACT),
    Row("profiles:note_delete", FN, "post", FAR_ACT),
    Row("profiles:note_done", N, "post", AUTHOR_ACT),
    Row("profiles:note_done", FN, "post", FAR_ACT),
    Row("profiles:follow_ups", {}, "get", PAGE),
]
PORTAL: list[Row] = []
API: list[Row] = [
    Row("/members/{member_id}/notes", M, "get", API_READ),
    Row("/members/{member_id}/notes", OM, "get", API_OTHER),
    Row("/members/{member_id}/notes", M, "post", (201, 201, 201, 401, 401, 401), NOTE_BODY),
    Row("/members/{member_id}/notes", OM, "post", (201, 404, 404, 401, 401, 401), NOTE_BODY),
    Row("/notes/{note_id}", N, "get", API_READ),
    Row("/notes/{note_id}", FN, "get", API_OTHER),
    Row("/notes/{note_id}", N, "patch", (200, 403, 200, 401, 401, 401), {"body": "改一下"}),
    Row("/notes/{note_id}", FN, "patch", (200, 404, 404, 401, 401, 401), {"body": "改一下"}),
    Row("/notes/{note_id}", N, "delete", (204, 403, 204, 401, 401, 401)),
    Row("/notes/{note_id}", FN, "delete", (204, 404, 404, 401, 401, 401)),
    Row("/notes/{note_id}/done", N, "post", (200, 403, 200, 401, 401, 401)),
    Row("/notes/{note_id}/done", FN, "post", API_OTHER),
    Row("/follow-ups", {}, "get", API_READ),
    Row("/members/{member_id}/timeline", M, "get", API_READ),
    Row("/members/{member_id}/timeline", OM, "get", API_OTHER),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """A talk note with a follow-up due today on `member` (written by the assistant) and one on
    `other_member` (written by the organisation admin)."""
    from django.utils import timezone

    from shequn.profiles.models import TalkNote

    now = timezone.now()
    today = timezone.localdate(now)
    made: dict[str, int] = {}
    for name, member, author in (
        ("talk_note", fixtures.member, fixtures.assistant),
        ("far_talk_note", fixtures.other_member, fixtures.org_admin),
    ):
        made[name] = TalkNote.objects.create(
            organization=fixtures.org,
            member=member,
            author=author,
            talked_at=now,
            body="电话聊了课程安排",
            follow_up_on=today,
        ).pk
    return made
