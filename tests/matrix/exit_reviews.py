"""Permission-matrix rows of the exit rule's reviews (see tests/matrix/common.py).

Organisation admins and chapter heads (for their members); assistants are refused. `review`
is on the chapter head's member, `far_review` on the other chapter's (a 404 for the head).
Confirming or dismissing an open review redirects back to the queue.
"""

from __future__ import annotations

from django.utils import timezone

from shequn.points.models import ExitReview
from tests.matrix.common import HEAD_PAGE, Fixtures, Row

R, FR = {"review_id": "exit_review"}, {"review_id": "far_exit_review"}
ACT = (302, 302, 403, 403, 403, 302)
FAR_ACT = (302, 404, 403, 403, 403, 302)
API_HEAD = (200, 200, 403, 401, 401, 401)
API_ACT = (200, 200, 403, 401, 401, 401)
API_FAR = (200, 404, 403, 401, 401, 401)

CONSOLE: list[Row] = [
    Row("exit_reviews:queue", {}, "get", HEAD_PAGE),
    Row("exit_reviews:confirm", R, "post", ACT),
    Row("exit_reviews:confirm", FR, "post", FAR_ACT),
    Row("exit_reviews:dismiss", R, "post", ACT),
    Row("exit_reviews:dismiss", FR, "post", FAR_ACT),
]
PORTAL: list[Row] = []
API: list[Row] = [
    Row("/points/exit-reviews", {}, "get", API_HEAD),
    Row("/points/exit-reviews/{review_id}/confirm", R, "post", API_ACT),
    Row("/points/exit-reviews/{review_id}/confirm", FR, "post", API_FAR),
    Row("/points/exit-reviews/{review_id}/dismiss", R, "post", API_ACT),
    Row("/points/exit-reviews/{review_id}/dismiss", FR, "post", API_FAR),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    now = timezone.now()
    mine = ExitReview.objects.create(
        organization=fixtures.org, member=fixtures.member, reason="低于退出线", flagged_at=now
    )
    far = ExitReview.objects.create(
        organization=fixtures.org, member=fixtures.other_member, reason="低于退出线", flagged_at=now
    )
    return {"exit_review": mine.pk, "far_exit_review": far.pk}
