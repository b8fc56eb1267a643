"""API v1 of applications."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shequn.applications.models import Application, ApplicationDecision, ApplicationForm
from shequn.applications.tests.factories import ANSWERS, make_application
from shequn.members.models import Membership
from shequn.members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _post(client, path: str, body: dict[str, Any], **headers):
    return client.post(
        API + path, data=json.dumps(body), content_type="application/json", **headers
    )


def test_get_and_put_the_form(api_client_as, private, app_form):
    admin = api_client_as("org_admin")
    url = f"{API}/communities/{private.pk}/application-form"
    body = admin.get(url).json()
    assert (body["version"], body["identity_statement"], len(body["questions"])) == (
        1,
        "只招企业内训经理",
        4,
    )
    new = {
        "intro": "新介绍",
        "identity_statement": "",
        "questions": [
            {"key": "q3", "kind": "single_choice", "label": "年限", "choices": ["短", "长"]},
            {"kind": "short_text", "label": "微信号", "required": True},
        ],
        "assistants_may_review": True,
    }
    response = admin.put(url, data=json.dumps(new), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert [q["key"] for q in body["questions"]] == ["q3", "q5"]
    assert body["assistants_may_review"] is True


def test_put_bad_form_is_422_and_changes_nothing(api_client_as, private, app_form):
    url = f"{API}/communities/{private.pk}/application-form"
    bad = {"questions": [{"kind": "single_choice", "label": "x", "choices": ["only"]}]}
    response = api_client_as("org_admin").put(
        url, data=json.dumps(bad), content_type="application/json"
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    app_form.refresh_from_db()
    assert (app_form.version, len(app_form.questions)) == (1, 4)


def test_form_of_a_community_without_one_is_404(api_client_as, community):
    response = api_client_as("org_admin").get(f"{API}/communities/{community.pk}/application-form")
    assert response.status_code == 404


def test_submit_with_idempotency_key(api_client_as, member, private, app_form):
    admin = api_client_as("org_admin")
    body = {
        "member_id": member.pk,
        "community_id": private.pk,
        "answers": ANSWERS,
        "identity_confirmed": True,
    }
    first = _post(admin, "/applications", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    again = _post(admin, "/applications", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Application.objects.count() == 1
    assert first.json()["answers"][0] == {
        "key": "q1",
        "label": "您的公司",
        "kind": "short_text",
        "value": "某某科技",
    }


@pytest.mark.parametrize(
    "answers",
    [
        {**ANSWERS, "nope": "x"},
        {"q3": "1-3年"},
        {**ANSWERS, "q3": "不存在"},
        {**ANSWERS, "q4": "课程设计"},
    ],
)
def test_submit_bad_answers_is_422(api_client_as, member, private, app_form, answers):
    body = {
        "member_id": member.pk,
        "community_id": private.pk,
        "answers": answers,
        "identity_confirmed": True,
    }
    response = _post(api_client_as("org_admin"), "/applications", body)
    assert response.status_code == 422
    assert response.json()["errors"]
    assert Application.objects.count() == 0


def test_submit_for_an_unknown_member_is_404(api_client_as, private, app_form):
    body = {"member_id": 10**12, "community_id": private.pk, "answers": ANSWERS}
    assert _post(api_client_as("org_admin"), "/applications", body).status_code == 404
    assert Application.objects.count() == 0


def test_list_and_get(api_client_as, org, member, private, far_private, app_form):
    near = make_application(private, member)
    far = make_application(far_private, MemberFactory(organization=org))
    head = api_client_as("chapter_head")
    body = head.get(f"{API}/applications").json()
    assert [a["id"] for a in body["items"]] == [near.pk]
    assert body["count"] == 1
    assert head.get(f"{API}/applications/{far.pk}").status_code == 404
    detail = head.get(f"{API}/applications/{near.pk}").json()
    assert detail["decisions"] == []
    assert detail["member_name"] == "张三"


def test_list_num_queries(api_client_as, org, private, app_form, django_assert_num_queries):
    admin = api_client_as("org_admin")
    for _ in range(3):
        make_application(private, MemberFactory(organization=org))
    admin.get(f"{API}/applications")
    with django_assert_num_queries(2) as captured:
        admin.get(f"{API}/applications")
    for _ in range(10):
        make_application(private, MemberFactory(organization=org))
    with django_assert_num_queries(len(captured.captured_queries)):
        assert len(admin.get(f"{API}/applications").json()["items"]) == 13


def test_decisions(api_client_as, org, member, private, app_form):
    admin = api_client_as("org_admin")
    application = make_application(private, member)
    assert _post(admin, f"/applications/{application.pk}/reject", {"reason": ""}).status_code == 422
    interview = _post(
        admin,
        f"/applications/{application.pk}/interview",
        {"note": "电话", "at": "2026-12-20T15:00:00+08:00"},
    )
    assert interview.status_code == 200
    assert interview.json()["status"] == "interview"
    approved = _post(admin, f"/applications/{application.pk}/approve", {})
    assert approved.status_code == 200
    body = approved.json()
    assert body["status"] == "approved"
    assert [d["decision"] for d in body["decisions"]] == ["interview", "approve"]
    assert body["decisions"][1]["decided_by"] == "admin"
    assert Membership.objects.filter(member=member, community=private).exists()
    again = _post(admin, f"/applications/{application.pk}/reject", {"reason": "晚了"})
    assert again.status_code == 409
    assert ApplicationDecision.objects.count() == 2


def test_bulk_approve(api_client_as, org, private, far_private, app_form):
    near = [make_application(private, MemberFactory(organization=org)) for _ in range(2)]
    far = make_application(far_private, MemberFactory(organization=org))
    response = _post(
        api_client_as("chapter_head"),
        "/applications/bulk-approve",
        {"ids": [near[0].pk, near[1].pk, far.pk]},
    )
    assert response.status_code == 200
    assert response.json()["approved"] == [near[0].pk, near[1].pk]
    assert [f["id"] for f in response.json()["failed"]] == [far.pk]
    far.refresh_from_db()
    assert far.status == "pending"


def test_bulk_approve_is_bounded(api_client_as):
    response = _post(
        api_client_as("org_admin"), "/applications/bulk-approve", {"ids": list(range(1, 102))}
    )
    assert response.status_code == 422


def test_assistant_may_not_edit_the_form(api_client_as, assistant, private, app_form):
    assistant.communities.add(private)
    url = f"{API}/communities/{private.pk}/application-form"
    response = api_client_as("assistant").put(
        url, data=json.dumps({"intro": "x"}), content_type="application/json"
    )
    assert response.status_code == 403
    assert ApplicationForm.objects.get().intro == "欢迎申请"
