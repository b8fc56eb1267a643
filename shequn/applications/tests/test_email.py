"""The applicant's email, sent through Huey to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from shequn.applications import services
from shequn.applications.models import ApplicationDecision
from shequn.applications.tasks import send_decision_email
from shequn.applications.tests.factories import make_application

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def _subject(message: Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


@pytest.fixture
def applicant(member):
    member.email = "zhangsan@example.com"
    member.save(update_fields=["email"])
    return member


def test_rejection_mail_in_chinese(
    smtp, huey_immediate, org_admin, scope_of, applicant, private, app_form
):
    application = make_application(private, applicant)
    services.reject_application(
        actor=scope_of(org_admin), application=application, reason="本期只招企业内训经理"
    )
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert smtp.envelopes[0].rcpt_tos == ["zhangsan@example.com"]
    assert message["To"] == "zhangsan@example.com"
    assert "铁粉群" in _subject(message)
    body = _body(message)
    assert "本期只招企业内训经理" in body
    assert "张三" in body
    assert ApplicationDecision.objects.get().emailed_at is not None


def test_interview_mail_in_english(
    smtp, huey_immediate, org_admin, scope_of, applicant, private, app_form
):
    application = make_application(private, applicant, language="en")
    at = timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
    services.request_interview(
        actor=scope_of(org_admin), application=application, note="Call at 021-555", at=at
    )
    message = smtp.messages[0]
    assert _subject(message) == "铁粉群: an interview about your application"
    body = _body(message)
    assert "Call at 021-555" in body
    assert timezone.localtime(at).strftime("%Y-%m-%d %H:%M") in body


def test_approval_mail_and_running_twice_sends_once(
    smtp, huey_immediate, org_admin, scope_of, applicant, private, app_form
):
    application = make_application(private, applicant, language="en")
    services.approve_application(actor=scope_of(org_admin), application=application)
    assert _subject(smtp.messages[0]) == "Your application to 铁粉群 was approved"
    send_decision_email(ApplicationDecision.objects.get().pk)  # a second run of the job
    assert len(smtp.messages) == 1


def test_no_email_no_mail(smtp, huey_immediate, org_admin, scope_of, member, private, app_form):
    application = make_application(private, member)
    services.reject_application(actor=scope_of(org_admin), application=application, reason="x")
    assert smtp.messages == []
    assert ApplicationDecision.objects.get().emailed_at is None


def test_refused_approval_sends_nothing(
    smtp, huey_immediate, org, org_admin, scope_of, applicant, private, app_form
):
    from django.core.exceptions import ValidationError

    from shequn.joining.models import BlacklistEntry

    application = make_application(private, applicant)
    BlacklistEntry.objects.create(organization=org, member=applicant, reason="广告")
    with pytest.raises(ValidationError):
        services.approve_application(actor=scope_of(org_admin), application=application)
    assert smtp.messages == []


def test_sweeper_sends_what_was_missed(smtp, huey_immediate, applicant, private, app_form):
    from shequn.applications.tasks import sweep_decision_emails

    application = make_application(private, applicant, language="en")
    old = timezone.now() - timedelta(hours=1)
    missed = ApplicationDecision.objects.create(
        application=application, decision="reject", reason="已满", decided_at=old
    )
    ApplicationDecision.objects.create(
        application=application,
        decision="interview",
        note="x",
        decided_at=timezone.now() - timedelta(days=3),  # too old: left alone
    )
    sweep_decision_emails()  # through Huey (immediate): it queues the missed mail
    assert len(smtp.messages) == 1
    assert "已满" in _body(smtp.messages[0])
    missed.refresh_from_db()
    assert missed.emailed_at is not None
    sweep_decision_emails()  # a second run: nothing left to send
    assert len(smtp.messages) == 1


def test_waitlisted_approval_says_so(
    smtp, huey_immediate, org_admin, scope_of, applicant, private, app_form
):
    from shequn.joining.models import JoinPolicy

    private.capacity = 1
    private.member_count = 1
    private.save()
    JoinPolicy.objects.create(community=private, waitlist_enabled=True)
    application = make_application(private, applicant, language="en")
    services.approve_application(actor=scope_of(org_admin), application=application)
    assert "you are on its waitlist" in _body(smtp.messages[0])
