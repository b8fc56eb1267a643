"""Jobs of points (docs/points.md, docs/jobs.md).

- `award_pending`: asked for after each ingestion batch commits (at most one waiting per
  organisation, 2 s later); `sweep_awards` every minute for what a lost job left.
- `announce_level_changes`: after a level change commits.
- `expire_all_points`: nightly at 03:17, for organisations with expiry switched on.
- `flag_all_exit_reviews`: nightly at 03:29, the exit rule (exits.py).
- `award_all_referrals`: nightly at 03:23, inviters whose invitees stayed (referrals.py).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequn.organizations.models import Organization
from shequn.points.models import AwardCursor, Level, LevelChange

logger = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 2


def request_awards(organization_id: int) -> None:
    """Ask for the awards job once the current transaction commits (one waiting at a time)."""

    def enqueue() -> None:
        if cache.add(f"points:award:{organization_id}", 1, timeout=DEBOUNCE_SECONDS + 5):
            award_pending.schedule((organization_id,), delay=DEBOUNCE_SECONDS)

    transaction.on_commit(enqueue)


@db_task()  # type: ignore[untyped-decorator]  # huey has no types
def award_pending(organization_id: int) -> int:
    from shequn.points.awards import award_points

    cache.delete(f"points:award:{organization_id}")
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return award_points(organization).entries


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_awards() -> int:
    """Every organisation with activities after its cursor (or without a cursor)."""
    from shequn.activity.models import Activity
    from shequn.points.awards import award_points

    written = 0
    cursors = dict(AwardCursor.objects.values_list("organization_id", "last_activity_id"))
    for organization in Organization.objects.order_by("pk"):
        after = cursors.get(organization.pk, 0)
        if Activity.objects.filter(organization=organization, pk__gt=after).exists():
            written += award_points(organization).entries
    return written


@db_task()  # type: ignore[untyped-decorator]
def announce_level_changes(organization_id: int) -> int:
    """Record a level_up activity and email the member for each move up not yet announced."""
    from shequn.activity.services import record_app_activity

    done = 0
    pending = LevelChange.objects.filter(
        organization_id=organization_id, announced_at__isnull=True
    ).select_related("member", "member__organization")
    for change in pending.order_by("pk")[:5000]:
        with transaction.atomic():
            claimed = LevelChange.objects.filter(pk=change.pk, announced_at__isnull=True).update(
                announced_at=timezone.now()
            )
            if not claimed:
                continue
            moved_up = change.from_number is not None and change.to_number > change.from_number
            if moved_up or (change.from_number is None and change.to_number > 1):
                level = Level.objects.filter(
                    organization_id=organization_id, number=change.to_number
                ).first()
                record_app_activity(
                    organization=change.member.organization,
                    member=change.member,
                    community=None,
                    kind="custom",
                    event_id=f"level:{change.pk}",
                    at=change.occurred_at,
                    properties={
                        "name": "level_up",
                        "level": change.to_number,
                        "level_name": level.name if level else "",
                    },
                )
                if change.member.email:
                    pk = change.pk
                    transaction.on_commit(lambda pk=pk: send_level_up_email(pk))  # type: ignore[misc]
            done += 1
    return done


@db_task()  # type: ignore[untyped-decorator]
def send_level_up_email(change_id: int) -> bool:
    change = LevelChange.objects.select_related("member", "organization").filter(pk=change_id)
    found = change.first()
    if found is None or not found.member.email:
        return False
    level = Level.objects.filter(
        organization_id=found.organization_id, number=found.to_number
    ).first()
    path = reverse("points_portal:mine", kwargs={"org_slug": found.organization.slug})
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("You reached level %(number)s in %(org)s") % {
            "number": found.to_number,
            "org": found.organization.name,
        }
        body = _(
            "Congratulations: you reached level %(number)s (%(name)s) with %(earned)s points "
            "earned. See your points: %(url)s"
        ) % {
            "number": found.to_number,
            "name": level.name if level else "",
            "earned": found.earned,
            "url": settings.SHEQUN_SITE_URL + path,
        }
    send_mail(subject, body, None, [found.member.email])
    return True


@db_periodic_task(crontab(hour="3", minute="23"))  # type: ignore[untyped-decorator]
def award_all_referrals() -> int:
    """Daily: the referral awards of every organisation (safe to run twice)."""
    from shequn.points.referrals import award_referrals

    return sum(award_referrals(org) for org in Organization.objects.order_by("pk"))


@db_periodic_task(crontab(hour="3", minute="29"))  # type: ignore[untyped-decorator]
def flag_all_exit_reviews() -> int:
    """Daily: the exit rule of every organisation that switched it on."""
    from shequn.points.exits import flag_exit_reviews

    return sum(flag_exit_reviews(org) for org in Organization.objects.order_by("pk"))


@db_periodic_task(crontab(hour="3", minute="17"))  # type: ignore[untyped-decorator]
def expire_all_points() -> int:
    from shequn.points.expiry import expire_points
    from shequn.points.models import PointSettings

    expired = 0
    for row in PointSettings.objects.filter(expiry_months__isnull=False).select_related(
        "organization"
    ):
        expired += expire_points(row.organization)
    if expired:
        logger.info("Expired %d points.", expired)
    return expired
