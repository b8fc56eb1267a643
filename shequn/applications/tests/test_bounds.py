"""Numbers and texts beyond any limit get a clean 4xx, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequn.applications.models import Application

pytestmark = pytest.mark.django_db

HUGE = 10**30


def test_huge_ids_are_404(client_as, private, app_form):
    admin = client_as("org_admin")
    assert admin.get(reverse("applications:detail", args=[HUGE])).status_code == 404
    assert admin.post(reverse("applications:approve", args=[HUGE])).status_code == 404
    url = reverse("applications:question_edit", kwargs={"community_id": private.pk, "number": HUGE})
    assert admin.get(url).status_code == 404
    response = admin.post(reverse("applications:bulk_approve"), {"ids": [str(HUGE), "-1", "1e9"]})
    assert response.status_code == 302


def test_huge_filters_are_ignored(client_as, private, app_form):
    response = client_as("org_admin").get(
        reverse("applications:queue"),
        {"community": str(HUGE), "waiting_days": str(HUGE), "page": str(HUGE), "q": "x" * 500},
    )
    assert response.status_code == 200


def test_api_bounds(api_client_as, private, app_form):
    admin = api_client_as("org_admin")
    assert admin.get(f"/api/v1/applications/{HUGE}").status_code == 422
    assert admin.get("/api/v1/applications", {"waiting_days": HUGE}).status_code == 422
    assert admin.get("/api/v1/applications", {"offset": HUGE}).status_code == 422
    response = admin.post(
        "/api/v1/applications",
        data={"member_id": 1, "community_id": private.pk, "answers": {}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k" * 65,
    )
    assert response.status_code == 422
    assert Application.objects.count() == 0
