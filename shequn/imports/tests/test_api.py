"""The imports API: upload, status, rejects, list; problem+json errors."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from shequn.activity.models import Activity
from shequn.imports.models import ImportJob, ImportStatus
from shequn.imports.tests.conftest import DATA

URL = "/api/v1/imports"


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / name).read_bytes() if content is None else content)


def test_upload_status_rejects_and_list(
    org,
    community,
    org_admin,
    api_client_as,
    huey_immediate,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    client = api_client_as("org_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"file": upload("telegram_export.json"), "community_id": community.pk}
        )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    status = client.get(f"{URL}/{job_id}").json()
    assert {
        k: status[k]
        for k in (
            "kind",
            "format",
            "status",
            "file_name",
            "community_id",
            "created_by",
            "rows_read",
            "rows_new",
            "rows_duplicate",
            "rows_rejected",
            "error",
            "rejects_url",
        )
    } == {
        "kind": "activities",
        "format": "telegram",
        "status": "done",
        "file_name": "telegram_export.json",
        "community_id": community.pk,
        "created_by": "admin",
        "rows_read": 16,
        "rows_new": 13,
        "rows_duplicate": 0,
        "rows_rejected": 4,
        "error": "",
        "rejects_url": f"{URL}/{job_id}/rejects",
    }
    rejects = client.get(status["rejects_url"])
    assert rejects.status_code == 200
    assert rejects["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert b"".join(rejects.streaming_content).count(b"\n") == 4
    with django_assert_num_queries(2):  # the token (with operator and user), the page
        listing = client.get(URL).json()
    assert [item["id"] for item in listing["items"]] == [job_id]
    assert listing["count"] == 1
    assert Activity.objects.count() == 13


def test_bad_uploads_are_problems_and_store_nothing(
    org, community, org_admin, api_client_as, settings, private_root
):
    client = api_client_as("org_admin")
    cases = [
        ({"file": upload("x.txt", b"hello")}, 422, "not JSON"),
        ({"file": upload("x.jsonl", b"  \n")}, 422, "empty"),
        ({"file": upload("telegram_export.json")}, 422, "community_id"),
        ({"file": upload("activities.jsonl"), "kind": "pictures"}, 422, "activities or members"),
        ({"file": upload("activities.jsonl"), "community_id": 999999}, 404, "community"),
        ({}, 422, "file"),
    ]
    for body, status, text in cases:
        response = client.post(URL, body, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == status, (body, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
        assert text in response.content.decode(), response.content
    settings.SHEQUN_IMPORT_UPLOAD_MAX_BYTES = 10
    big = client.post(URL, {"file": upload("activities.jsonl")})
    assert big.status_code == 413
    assert big["Content-Type"].startswith("application/problem+json")
    assert ImportJob.objects.count() == 0
    assert not private_root.exists() or not any(p.is_file() for p in private_root.rglob("*"))


def test_scope_of_the_api(org, community, other_community, chapter_head, org_admin, api_client_as):
    head = api_client_as("chapter_head")
    denied = head.post(
        URL, {"file": upload("telegram_export.json"), "community_id": other_community.pk}
    )
    assert denied.status_code == 404
    admin = api_client_as("org_admin")
    job_id = admin.post(
        URL, {"file": upload("telegram_export.json"), "community_id": other_community.pk}
    ).json()["id"]
    assert head.get(f"{URL}/{job_id}").status_code == 404
    assert head.get(f"{URL}/{job_id}/rejects").status_code == 404
    assert head.get(URL).json()["items"] == []
    assert admin.get(f"{URL}/{job_id}/rejects").status_code == 404  # none rejected yet
    assert ImportJob.objects.get().status == ImportStatus.QUEUED


def test_member_import_through_the_api(org, community, org_admin, api_client_as):
    client = api_client_as("org_admin")
    csv = "姓名,手机号\n王伟,13800000000\n".encode()
    response = client.post(
        URL,
        {"file": upload("m.csv", csv), "kind": "members", "community_id": community.pk},
    )
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert (job.kind, job.format, job.status) == ("members", "csv", ImportStatus.QUEUED)
    assert job.options["mapping"] == {"name": "姓名", "phone": "手机号"}
    bad = client.post(
        URL,
        {"file": upload("m.csv", csv), "kind": "members", "mapping": '{"name": "名字"}'},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "mapping"]
    not_json = client.post(URL, {"file": upload("m.csv", csv), "kind": "members", "mapping": "[1]"})
    assert not_json.status_code == 422
    assert ImportJob.objects.count() == 1
