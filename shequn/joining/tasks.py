"""Jobs of joining (docs/jobs.md): offer freed seats to the waitlist, email the offers.

`offer_free_seats` runs every minute: for every community with people waiting or offers open,
it expires lapsed offers and offers free seats to the next people (under the community's row
lock, so two runs at once offer each seat once). A membership ending through the leave and
remove services also enqueues `offer_community_seats` for its community at once.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequn.joining import services
from shequn.joining.models import OPEN_WAITLIST_STATUSES, WaitlistEntry, WaitlistStatus

logger = logging.getLogger(__name__)


@db_task()  # type: ignore[untyped-decorator]  # huey has no types
def offer_community_seats(community_id: int) -> int:
    """Offer one community's free seats; how many offers were made."""
    return len(services.offer_free_seats(community_id=community_id))


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def offer_free_seats() -> int:
    """The sweeper: every community with open waitlist entries. Returns the offers made."""
    community_ids = (
        WaitlistEntry.objects.filter(status__in=OPEN_WAITLIST_STATUSES)
        .order_by()
        .values_list("community_id", flat=True)
        .distinct()
    )
    made = 0
    for community_id in list(community_ids):
        made += len(services.offer_free_seats(community_id=community_id))
    if made:
        logger.info("Offered %d freed seats to people on waitlists.", made)
    return made


@db_task()  # type: ignore[untyped-decorator]
def send_offer_email(entry_id: int) -> bool:
    """Tell the person their seat is waiting (only while the offer still stands)."""
    entry = (
        WaitlistEntry.objects.select_related("member", "community__organization")
        .filter(pk=entry_id, status=WaitlistStatus.OFFERED, offer_expires_at__gt=timezone.now())
        .first()
    )
    if entry is None or not entry.member.email:
        return False
    community = entry.community
    path = reverse(
        "joining_portal:waitlist",
        kwargs={"org_slug": community.organization.slug, "slug": community.slug},
    )
    with translation.override(settings.LANGUAGE_CODE):
        deadline = timezone.localtime(entry.offer_expires_at).strftime("%Y-%m-%d %H:%M")
        subject = _("A seat in %(name)s is waiting for you") % {"name": community.name}
        body = _(
            "A seat in %(name)s is free and held for you until %(deadline)s. "
            "Take it on the waitlist page: %(url)s"
        ) % {"name": community.name, "deadline": deadline, "url": settings.SHEQUN_SITE_URL + path}
    send_mail(subject, body, None, [entry.member.email])
    return True
