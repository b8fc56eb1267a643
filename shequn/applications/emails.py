"""The applicant's email about a review decision, in their language (zh-hans when unknown)."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from shequn.applications.models import Application, ApplicationDecision

DEFAULT_LANGUAGE = "zh-hans"
# The sweeper retries mails of decisions at most this old, leaving the newest to their own job.
SWEEP_WINDOW = timedelta(days=2)
SWEEP_GRACE = timedelta(minutes=5)
SWEEP_BATCH = 500


def _language(code: str) -> str:
    known = {c for c, _name in settings.LANGUAGES}
    return code if code in known else DEFAULT_LANGUAGE


def _waitlisted(application: Application) -> bool:
    """Approved into a private community that was full: on its waitlist, not in yet."""
    from shequn.joining.models import OPEN_WAITLIST_STATUSES, WaitlistEntry

    return WaitlistEntry.objects.filter(
        community_id=application.community_id,
        member_id=application.member_id,
        status__in=OPEN_WAITLIST_STATUSES,
    ).exists()


def list_unsent_decision_ids() -> list[int]:
    """Decisions of the last two days (older than five minutes) whose applicant has an email
    and has not been mailed about them (the partial index `application_decision_unsent`)."""
    now = timezone.now()
    return list(
        ApplicationDecision.objects.filter(
            emailed_at=None,
            decided_at__gte=now - SWEEP_WINDOW,
            decided_at__lte=now - SWEEP_GRACE,
        )
        .exclude(application__member__email="")
        .order_by("decided_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def send_decision_email_now(*, decision_id: int) -> bool:
    """Send the mail of one decision unless it was sent (or the applicant has no email)."""
    decision = (
        ApplicationDecision.objects.select_related(
            "application__member", "application__community__organization"
        )
        .filter(pk=decision_id)
        .first()
    )
    if decision is None or decision.emailed_at is not None:
        return False
    application = decision.application
    email = application.member.email
    if not email:
        return False
    claimed = ApplicationDecision.objects.filter(pk=decision.pk, emailed_at=None).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    community = application.community
    zone = zoneinfo.ZoneInfo(community.organization.time_zone or settings.TIME_ZONE)
    path = reverse(
        "applications_portal:status",
        kwargs={"org_slug": community.organization.slug, "slug": community.slug},
    )
    site = getattr(settings, "SHEQUN_SITE_URL", "")
    context = {
        "decision": decision,
        "application": application,
        "community": community,
        "member": application.member,
        "interview_at": (
            timezone.localtime(decision.interview_at, zone) if decision.interview_at else None
        ),
        "link": site.rstrip("/") + path if site else "",
        "waitlisted": _waitlisted(application),
    }
    with translation.override(_language(application.language)):
        subject = render_to_string("applications/email/decision_subject.txt", context)
        body = render_to_string("applications/email/decision.txt", context)
    try:
        EmailMessage(subject=" ".join(subject.split()), body=body, to=[email]).send()
    except Exception:
        with transaction.atomic():
            ApplicationDecision.objects.filter(pk=decision.pk).update(emailed_at=None)
        raise
    return True
