"""The merge API and console pages: answers, exact query counts, redirects of merged members."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from shequn.members.merge_suggestions import refresh_merge_suggestions
from shequn.members.merging import merge_members
from shequn.members.models import Member, Merge, MergeSuggestion
from shequn.members.tests.factories import MemberFactory, MembershipFactory


@pytest.fixture
def pairs(org, community):
    members = []
    for i in range(6):
        m = MemberFactory(organization=org, display_name=f"成员{i}", email=f"p{i // 2}@example.com")
        MembershipFactory(member=m, community=community)
        members.append(m)
    refresh_merge_suggestions(org)
    return members


def test_list_suggestions_with_exact_queries(api_client_as, pairs, django_assert_num_queries):
    client = api_client_as("org_admin")
    with django_assert_num_queries(3):  # the token, its operator's chapters, the page
        response = client.get("/api/v1/merge-suggestions?limit=2")
    body = response.json()
    assert response.status_code == 200
    assert body["count"] is None
    assert body["next_offset"] == 2
    assert [len(i["evidence"]) for i in body["items"]] == [1, 1]
    assert body["items"][0]["evidence"][0]["code"] == "email"


def test_accept_reject_merge_unmerge(api_client_as, pairs):
    client = api_client_as("org_admin")
    first, second, third = MergeSuggestion.objects.order_by("id")
    r = client.post(
        f"/api/v1/merge-suggestions/{first.pk}/accept",
        data=json.dumps({"keep": first.member_b_id}),
        content_type="application/json",
    )
    assert r.status_code == 200
    assert (r.json()["target"]["id"], r.json()["source"]["id"]) == (
        first.member_b_id,
        first.member_a_id,
    )
    again = client.post(
        f"/api/v1/merge-suggestions/{first.pk}/accept", data="{}", content_type="application/json"
    )
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")
    r = client.post(f"/api/v1/merge-suggestions/{second.pk}/reject")
    assert (r.status_code, r.json()["status"]) == (200, "rejected")
    r = client.post(
        "/api/v1/merges",
        data=json.dumps({"source_id": third.member_a_id, "target_id": third.member_b_id}),
        content_type="application/json",
    )
    assert r.status_code == 201
    merge_id = r.json()["id"]
    gone = client.get(f"/api/v1/members/{third.member_a_id}")
    assert gone.status_code == 404
    assert str(third.member_b_id) in gone.json()["detail"]
    history = client.get("/api/v1/merges?active=true").json()
    assert [m["id"] for m in history["items"]] == [merge_id, Merge.objects.order_by("pk")[0].pk]
    r = client.post(f"/api/v1/merges/{merge_id}/unmerge")
    assert (r.status_code, r.json()["active"]) == (200, False)
    assert client.post(f"/api/v1/merges/{merge_id}/unmerge").status_code == 409
    assert Member.objects.filter(merged_into__isnull=False).count() == 1


def test_bad_keep_and_bad_body_are_422(api_client_as, pairs):
    client = api_client_as("org_admin")
    s = MergeSuggestion.objects.order_by("id")[0]
    r = client.post(
        f"/api/v1/merge-suggestions/{s.pk}/accept",
        data=json.dumps({"keep": 999999}),
        content_type="application/json",
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/merges", data=json.dumps({"source_id": "x"}), content_type="application/json"
    )
    assert r.status_code == 422
    assert Merge.objects.count() == 0
    assert MergeSuggestion.objects.filter(status="open").count() == 3


def test_queue_page_and_query_count(client_as, pairs, django_assert_num_queries):
    client = client_as("org_admin")
    with django_assert_num_queries(4):
        response = client.get(reverse("merges:queue"))
    assert response.status_code == 200
    assert response.content.decode().count("merges/suggestions/") == 3


def test_history_page_query_count(client_as, admin_scope_merges, django_assert_num_queries):
    client = client_as("org_admin")
    with django_assert_num_queries(4):
        response = client.get(reverse("merges:history"))
    assert response.status_code == 200
    assert response.content.decode().count("/unmerge/") == 3


@pytest.fixture
def admin_scope_merges(org_admin, scope_of, pairs):
    admin = scope_of(org_admin)
    return [
        merge_members(actor=admin, source=pairs[i + 1], target=pairs[i]) for i in range(0, 6, 2)
    ]


def test_merged_member_page_redirects_to_the_survivor(client_as, admin_scope_merges):
    merge = admin_scope_merges[0]
    client = client_as("org_admin")
    response = client.get(reverse("members:detail", kwargs={"member_id": merge.source_id}))
    assert response.status_code == 302
    assert response["Location"] == reverse("members:detail", kwargs={"member_id": merge.target_id})
    listed = client.get(reverse("members:list")).content.decode()
    assert f"/members/{merge.source_id}/" not in listed
    assert f"/members/{merge.target_id}/" in listed


def test_accept_and_unmerge_from_the_console(client_as, pairs):
    client = client_as("chapter_head")
    s = MergeSuggestion.objects.order_by("id")[0]
    page = client.get(reverse("merges:suggestion", kwargs={"suggestion_id": s.pk}))
    assert page.status_code == 200
    response = client.post(
        reverse("merges:suggestion_accept", kwargs={"suggestion_id": s.pk}),
        {"keep": s.member_a_id},
    )
    assert response.status_code == 302
    merge = Merge.objects.get()
    assert (merge.target_id, merge.source_id) == (s.member_a_id, s.member_b_id)
    client.post(reverse("merges:unmerge", kwargs={"merge_id": merge.pk}))
    merge.refresh_from_db()
    assert merge.unmerged_at is not None
    s.refresh_from_db()
    assert s.status == "rejected"


def test_bulk_accept_confirms_first(client_as, pairs):
    client = client_as("org_admin")
    preview = client.get(reverse("merges:bulk_accept"), {"min_percent": 90})
    assert preview.status_code == 200
    assert Merge.objects.count() == 0
    done = client.post(reverse("merges:bulk_accept"), {"min_percent": 90, "confirm": "on"})
    assert done.status_code == 302
    assert Merge.objects.count() == 3


def test_manual_merge_from_a_member_page(client_as, org, community):
    a = MemberFactory(organization=org, display_name="周杰")
    b = MemberFactory(organization=org, display_name="周杰伦")
    for m in (a, b):
        MembershipFactory(member=m, community=community)
    client = client_as("org_admin")
    found = client.get(reverse("merges:create"), {"source": a.pk, "q": "周杰伦"})
    assert f"target={b.pk}" in found.content.decode()
    url = reverse("merges:create") + f"?source={a.pk}&target={b.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert Member.objects.get(pk=a.pk).merged_into_id == b.pk
