from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from shequn.activity.models import Activity
from shequn.applications import services
from shequn.applications.models import (
    Application,
    ApplicationDecision,
    ApplicationForm,
    ApplicationStatus,
)
from shequn.applications.selectors import (
    get_application_for_user,
    get_latest_application,
    has_approved_application,
    list_applications,
)
from shequn.applications.tests.factories import ANSWERS, make_application, make_form
from shequn.audit.models import AuditEntry
from shequn.joining.models import BlacklistEntry, JoinPolicy, WaitlistEntry
from shequn.members.models import Membership, MembershipSource, MembershipStatus
from shequn.members.tests.factories import MemberFactory, MembershipFactory
from shequn.organizations.models import CommunityAccess

pytestmark = pytest.mark.django_db


def _submit(member, community, **kw: Any) -> services.Submission:
    values: dict[str, Any] = {"answers": dict(ANSWERS), "identity_confirmed": True}
    values.update(kw)
    return services.submit_application(member=member, community=community, **values)


# The form ---------------------------------------------------------------------------------


def test_saving_the_form_bumps_the_version_and_audits(org_admin, scope_of, private, app_form):
    actor = scope_of(org_admin)
    form = services.save_application_form(actor=actor, community=private, intro="新的介绍")
    assert (form.version, form.intro) == (2, "新的介绍")
    same = services.save_application_form(actor=actor, community=private, intro="新的介绍")
    assert same.version == 2  # nothing changed: no new version
    entry = AuditEntry.objects.get(object_type="applicationform")
    assert entry.changes["intro"] == ["欢迎申请", "新的介绍"]
    assert entry.community_id == private.pk


def test_question_operations(org_admin, scope_of, private, app_form):
    actor = scope_of(org_admin)
    question = {
        "kind": "single_choice",
        "label": "城市",
        "required": True,
        "choices": ["上海", "北京"],
    }
    form = services.add_question(actor=actor, community=private, question=question)
    assert [q["key"] for q in form.questions] == ["q1", "q2", "q3", "q4", "q5"]
    form = services.move_question(actor=actor, community=private, key="q5", offset=-1)
    assert [q["key"] for q in form.questions] == ["q1", "q2", "q3", "q5", "q4"]
    form = services.remove_question(actor=actor, community=private, key="q5")
    form = services.add_question(actor=actor, community=private, question=question)
    assert form.questions[-1]["key"] == "q5"  # the highest number left + 1
    form = services.update_question(
        actor=actor, community=private, key="q1", question={"kind": "short_text", "label": "公司"}
    )
    assert form.questions[0] == {
        "key": "q1",
        "kind": "short_text",
        "label": "公司",
        "help": "",
        "required": False,
        "choices": [],
    }
    assert form.version == 6


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ({"kind": "single_choice", "label": "城市", "choices": ["上海"]}, "between 2 and 20"),
        ({"kind": "single_choice", "label": "城市", "choices": ["a"] * 21}, "between 2 and 20"),
        ({"kind": "multiple_choice", "label": "x", "choices": ["a", "b" * 101]}, "at most 100"),
        ({"kind": "short_text", "label": ""}, "needs a label"),
        ({"kind": "essay", "label": "x"}, "choose a kind"),
        ({"kind": "single_choice", "label": "x", "choices": ["a", "a"]}, "the same"),
    ],
)
def test_bad_questions_are_refused(org_admin, scope_of, private, app_form, question, message):
    with pytest.raises(ValidationError) as exc:
        services.add_question(actor=scope_of(org_admin), community=private, question=question)
    assert message in " ".join(exc.value.messages)
    app_form.refresh_from_db()
    assert (app_form.version, len(app_form.questions)) == (1, 4)


def test_at_most_30_questions(org_admin, scope_of, private):
    questions = [{"kind": "short_text", "label": f"问题{i}"} for i in range(31)]
    with pytest.raises(ValidationError, match="at most 30"):
        services.save_application_form(
            actor=scope_of(org_admin), community=private, questions=questions
        )
    assert ApplicationForm.objects.count() == 0


def test_who_edits_the_form(chapter_head, assistant, scope_of, private, far_private):
    services.save_application_form(actor=scope_of(chapter_head), community=private, intro="x")
    with pytest.raises(PermissionDenied):
        services.save_application_form(
            actor=scope_of(chapter_head), community=far_private, intro="y"
        )
    with pytest.raises(PermissionDenied):
        services.save_application_form(actor=scope_of(assistant), community=private, intro="z")
    assert ApplicationForm.objects.get(community=private).intro == "x"
    assert ApplicationForm.objects.get(community=far_private).intro == "欢迎申请"


# Submitting --------------------------------------------------------------------------------


def test_submit_keeps_the_answers_as_asked(member, private, app_form):
    submission = _submit(member, private, language="en")
    application = submission.application
    assert submission.created
    assert application.answers == [
        {"key": "q1", "label": "您的公司", "kind": "short_text", "value": "某某科技"},
        {"key": "q2", "label": "为什么想加入？", "kind": "long_text", "value": ""},
        {"key": "q3", "label": "从业年限", "kind": "single_choice", "value": "1-3年"},
        {"key": "q4", "label": "关注方向", "kind": "multiple_choice", "value": ["课程设计"]},
    ]
    assert (application.status, application.form_version, application.language) == (
        "pending",
        1,
        "en",
    )
    assert application.identity_confirmed
    assert application.identity_statement == "只招企业内训经理"
    activity = Activity.objects.get(external_id=f"application:{application.pk}:submitted")
    assert activity.properties == {"application": application.pk, "decision": "submitted"}


@pytest.mark.parametrize(
    ("answers", "key", "message"),
    [
        ({**ANSWERS, "q9": "x"}, "q9", "no such question"),
        ({"q3": "1-3年"}, "q1", "required"),
        ({**ANSWERS, "q3": "10年"}, "q3", "Choose from the list"),
        ({**ANSWERS, "q4": ["课程设计", "别的"]}, "q4", "Choose from the list"),
        ({**ANSWERS, "q1": "长" * 201}, "q1", "at most 200"),
        ({**ANSWERS, "q2": "长" * 4001}, "q2", "at most 4000"),
        ({**ANSWERS, "q1": ["list"]}, "q1", "Enter text"),
    ],
)
def test_bad_answers_store_nothing(member, private, app_form, answers, key, message):
    with pytest.raises(ValidationError) as exc:
        _submit(member, private, answers=answers)
    assert message in " ".join(exc.value.message_dict[key])
    assert Application.objects.count() == 0
    assert Activity.objects.count() == 0


def test_identity_must_be_confirmed(member, private, app_form):
    with pytest.raises(ValidationError) as exc:
        _submit(member, private, identity_confirmed=False)
    assert "identity_confirmed" in exc.value.message_dict
    assert Application.objects.count() == 0


def test_double_submit_makes_one(member, private, app_form):
    first = _submit(member, private, idempotency_key="tok-1")
    again = _submit(member, private, idempotency_key="tok-1")
    other_token = _submit(member, private, idempotency_key="tok-2")
    assert (first.created, again.created, other_token.created) == (True, False, False)
    assert again.application.pk == first.application.pk == other_token.application.pk
    assert Application.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_makes_one(org, chapter):
    from shequn.applications.tests.factories import private_community

    community = private_community(chapter)
    make_form(community, identity="")
    member = MemberFactory(organization=org)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def submit(token: str) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(_submit(member, community, idempotency_key=token).created)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]  # type: ignore[type-var]
    assert Application.objects.filter(member=member).count() == 1


def test_refused_when_blacklisted(org, member, private, app_form):
    BlacklistEntry.objects.create(organization=org, member=member, reason="广告")
    with pytest.raises(ValidationError) as exc:
        _submit(member, private)
    assert exc.value.code == "blacklisted"
    assert Application.objects.count() == 0


def test_refused_when_not_taking_applications(member, community, private, app_form):
    with pytest.raises(ValidationError) as exc:
        _submit(member, community)  # open
    assert exc.value.code == "application_not_needed"
    private.access = CommunityAccess.PAID
    private.save()
    with pytest.raises(ValidationError):
        _submit(member, private)  # paid without "application first"
    JoinPolicy.objects.create(community=private, paid_requires_application=True)
    assert _submit(member, private).created
    assert Application.objects.count() == 1


def test_refused_when_rejoin_is_barred(member, private, app_form):
    MembershipFactory(
        member=member, community=private, status=MembershipStatus.REMOVED, left_at=timezone.now()
    )
    with pytest.raises(ValidationError) as exc:
        _submit(member, private)
    assert exc.value.code == "rejoin_blocked"
    assert Application.objects.count() == 0


def test_withdraw(member, other_member, private, app_form):
    application = _submit(member, private).application
    with pytest.raises(ValidationError):
        services.withdraw_application(member=other_member, application=application)
    services.withdraw_application(member=member, application=application)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        services.withdraw_application(member=member, application=application)


# Decisions -------------------------------------------------------------------------------


def test_approve_private_admits_the_member(org_admin, scope_of, member, private, app_form):
    application = _submit(member, private).application
    approval = services.approve_application(actor=scope_of(org_admin), application=application)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.decided_by_id == org_admin.user_id
    membership = Membership.objects.get(member=member, community=private)
    assert (membership.status, membership.source) == ("active", MembershipSource.APPLICATION)
    assert approval.admission is not None
    assert approval.admission.joined
    decision = approval.decision
    assert (decision.decision, decision.decided_by_id) == ("approve", org_admin.user_id)
    assert decision.answers == application.answers
    activity = Activity.objects.get(external_id=f"application:{application.pk}:{decision.pk}")
    assert activity.properties == {"application": application.pk, "decision": "approve"}
    assert AuditEntry.objects.filter(
        object_type="application", object_id=str(application.pk), changes__decision="approve"
    ).exists()
    assert has_approved_application(member=member, community=private)


def test_approve_refused_by_admission_changes_nothing(
    org, org_admin, scope_of, member, private, app_form
):
    private.capacity = 1
    private.save()
    MembershipFactory(member=MemberFactory(organization=org), community=private)
    private.refresh_from_db()
    application = _submit(member, private).application
    private.member_count = 1
    private.save(update_fields=["member_count"])
    with pytest.raises(ValidationError) as exc:
        services.approve_application(actor=scope_of(org_admin), application=application)
    assert exc.value.code == "community_full"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert ApplicationDecision.objects.count() == 0
    assert not Membership.objects.filter(member=member, community=private).exists()


def test_approve_into_a_full_community_with_waitlist(
    org, org_admin, scope_of, member, private, app_form
):
    private.capacity = 1
    private.member_count = 1
    private.save()
    JoinPolicy.objects.create(community=private, waitlist_enabled=True)
    application = _submit(member, private).application
    approval = services.approve_application(actor=scope_of(org_admin), application=application)
    assert approval.admission is not None
    assert not approval.admission.joined
    assert WaitlistEntry.objects.filter(member=member, community=private).count() == 1
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    # Applying again while waiting shows the approved application.
    assert _submit(member, private).application.pk == application.pk


def test_approve_paid_does_not_admit(org_admin, scope_of, member, private, app_form):
    private.access = CommunityAccess.PAID
    private.save()
    JoinPolicy.objects.create(community=private, paid_requires_application=True)
    application = _submit(member, private).application
    assert not has_approved_application(member=member, community=private)
    services.approve_application(actor=scope_of(org_admin), application=application)
    assert has_approved_application(member=member, community=private)
    assert not Membership.objects.filter(member=member, community=private).exists()


def test_reject_needs_a_reason_and_allows_reapplying(
    org_admin, scope_of, member, private, app_form
):
    actor = scope_of(org_admin)
    application = _submit(member, private).application
    with pytest.raises(ValidationError):
        services.reject_application(actor=actor, application=application, reason="  ")
    assert ApplicationDecision.objects.count() == 0
    services.reject_application(actor=actor, application=application, reason="名额已满")
    application.refresh_from_db()
    assert (application.status, application.reject_reason) == ("rejected", "名额已满")
    with pytest.raises(ValidationError) as exc:
        services.approve_application(actor=actor, application=application)
    assert exc.value.code == "already_decided"
    again = _submit(member, private)
    assert again.created
    assert again.application.pk != application.pk
    assert get_latest_application(member=member, community=private) == again.application
    assert Application.objects.filter(member=member).count() == 2


def test_interview_in_the_past_is_refused(org_admin, scope_of, member, private, app_form):
    application = _submit(member, private).application
    with pytest.raises(ValidationError) as exc:
        services.request_interview(
            actor=scope_of(org_admin),
            application=application,
            note="电话沟通",
            at=timezone.now() - timedelta(minutes=1),
        )
    assert exc.value.message_dict == {"at": ["Choose a time in the future."]}
    application.refresh_from_db()
    assert (application.status, application.interview_at) == ("pending", None)
    assert not application.decisions.exists()


def test_interview_then_approve(org_admin, scope_of, member, private, app_form):
    actor = scope_of(org_admin)
    application = _submit(member, private).application
    at = timezone.now() + timedelta(days=2)
    services.request_interview(actor=actor, application=application, note="电话沟通", at=at)
    application.refresh_from_db()
    assert (application.status, application.interview_note, application.interview_at) == (
        "interview",
        "电话沟通",
        at,
    )
    services.approve_application(actor=actor, application=application)
    kinds = list(application.decisions.values_list("decision", flat=True))
    assert kinds == ["interview", "approve"]


def test_decision_snapshot_survives_a_form_edit(org_admin, scope_of, member, private, app_form):
    actor = scope_of(org_admin)
    application = _submit(member, private).application
    services.reject_application(actor=actor, application=application, reason="再想想")
    services.update_question(
        actor=actor, community=private, key="q1", question={"kind": "short_text", "label": "改了"}
    )
    services.remove_question(actor=actor, community=private, key="q3")
    decision = ApplicationDecision.objects.get()
    assert decision.answers[0]["label"] == "您的公司"
    assert [a["key"] for a in decision.answers] == ["q1", "q2", "q3", "q4"]
    application.refresh_from_db()
    assert application.answers[2] == {
        "key": "q3",
        "label": "从业年限",
        "kind": "single_choice",
        "value": "1-3年",
    }


def test_bulk_approve_reports_each(org, org_admin, scope_of, private, app_form):
    members = [MemberFactory(organization=org) for _ in range(3)]
    applications = [make_application(private, m) for m in members]
    BlacklistEntry.objects.create(organization=org, member=members[1], reason="x")
    result = services.bulk_approve(actor=scope_of(org_admin), applications=applications)
    assert result.approved == [applications[0].pk, applications[2].pk]
    assert [i for i, _m in result.failed] == [applications[1].pk]
    assert Membership.objects.filter(community=private).count() == 2


# Reviewer scope --------------------------------------------------------------------------


def test_reviewer_scope(
    org, org_admin, chapter_head, assistant, scope_of, community, private, far_private, app_form
):
    near = make_application(private, MemberFactory(organization=org))
    far = make_application(far_private, MemberFactory(organization=org))
    assert set(list_applications(actor=scope_of(org_admin))) == {near, far}
    assert list(list_applications(actor=scope_of(chapter_head))) == [near]
    # The assistant runs `community`: no applications there, and `private` is not theirs.
    assert list(list_applications(actor=scope_of(assistant))) == []
    assistant.communities.add(private)
    assert list(list_applications(actor=scope_of(assistant))) == []  # form does not allow
    app_form.assistants_may_review = True
    app_form.save()
    assert list(list_applications(actor=scope_of(assistant))) == [near]
    with pytest.raises(Http404):
        get_application_for_user(actor=scope_of(chapter_head), application_id=far.pk)


def test_assistant_without_permission_cannot_decide(org, assistant, scope_of, private, app_form):
    assistant.communities.add(private)
    application = make_application(private, MemberFactory(organization=org))
    with pytest.raises(PermissionDenied):
        services.approve_application(actor=scope_of(assistant), application=application)
    assert ApplicationDecision.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_make_one(org, chapter):
    from shequn.accounts.models import OperatorRole
    from shequn.accounts.selectors import build_scope
    from shequn.accounts.tests.factories import OperatorFactory
    from shequn.applications.tests.factories import private_community

    community = private_community(chapter)
    make_form(community, identity="")
    application = make_application(community, MemberFactory(organization=org))
    actor = build_scope(OperatorFactory(organization=org, role=OperatorRole.ORG_ADMIN))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def reject(reason: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.reject_application(actor=actor, application=application, reason=reason)
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=reject, args=(r,)) for r in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert ApplicationDecision.objects.filter(application=application).count() == 1
    application.refresh_from_db()
    assert application.reject_reason == ApplicationDecision.objects.get().reason
