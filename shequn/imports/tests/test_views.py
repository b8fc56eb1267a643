"""Console pages of imports: upload, the job page and its progress partial, history, rejects."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shequn.activity.models import Activity
from shequn.imports.models import ImportFormat, ImportJob, ImportKind, ImportStatus
from shequn.imports.services import create_import_job
from shequn.imports.storage import private_storage
from shequn.imports.tests.conftest import DATA


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / name).read_bytes() if content is None else content)


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_runs_the_job_and_the_page_shows_the_summary(
    org, community, org_admin, client_as, huey_immediate, django_capture_on_commit_callbacks
):
    client = client_as("org_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:upload"),
            {"file": upload("telegram_export.json"), "community": community.pk},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", kwargs={"job_id": job.pk})
    assert (job.kind, job.format, job.status, job.community) == (
        ImportKind.ACTIVITIES,
        ImportFormat.TELEGRAM,
        ImportStatus.DONE,
        community,
    )
    assert job.options == {"language": "en"}
    page = client.get(response["Location"]).content.decode()
    assert "result" not in page or "telegram_export.json" in page
    assert "hx-trigger" not in page  # done: no polling
    assert 'value="100"' in page
    assert reverse("imports:rejects", kwargs={"job_id": job.pk}) in page
    partial = client.get(reverse("imports:progress", kwargs={"job_id": job.pk}))
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="import-progress"')
    assert "<dd>13</dd>" in body
    assert "<dd>4</dd>" in body
    assert "hx-trigger" not in body
    rejects = client.get(reverse("imports:rejects", kwargs={"job_id": job.pk}))
    assert rejects.status_code == 200
    assert rejects["Content-Disposition"] == f'attachment; filename="rejects-{job.pk}.jsonl"'
    assert b"".join(rejects.streaming_content).count(b"\n") == 4


def test_a_queued_job_polls_its_progress(org, community, org_admin, client_as, scope_of):
    job = create_import_job(
        actor=scope_of(org_admin),
        organization=org,
        kind=ImportKind.ACTIVITIES,
        format=ImportFormat.JSONL,
        uploaded_file=upload("activities.jsonl"),
        community=None,
    )
    body = (
        client_as("org_admin")
        .get(reverse("imports:progress", kwargs={"job_id": job.pk}))
        .content.decode()
    )
    assert f'hx-get="{reverse("imports:progress", kwargs={"job_id": job.pk})}"' in body
    assert 'hx-trigger="every 1s"' in body
    assert 'value="0"' in body


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jsonl", b"", "The submitted file is empty."),
        ("blank.jsonl", b"  \n\n", "The file is empty."),
        ("members.csv", None, "The file is not JSON"),
        ("big.jsonl", b'{"id": "x"}\n' * 20, "uploads are limited to"),
    ],
)
def test_bad_uploads_store_nothing(
    org, community, org_admin, client_as, settings, private_root, name, content, message
):
    settings.SHEQUN_IMPORT_UPLOAD_MAX_BYTES = 100
    file = SimpleUploadedFile(
        name, (DATA / "not_json.txt").read_bytes() if content is None else content
    )
    response = client_as("org_admin").post(
        reverse("imports:upload"), {"file": file}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert files_in(private_root) == []


def test_telegram_needs_a_community(org, community, org_admin, client_as):
    response = client_as("org_admin").post(
        reverse("imports:upload"), {"file": upload("telegram_export.json")}
    )
    assert response.status_code == 422
    assert ImportJob.objects.count() == 0


def test_a_chapter_head_cannot_import_into_another_chapter(
    org, community, other_community, chapter_head, client_as
):
    response = client_as("chapter_head").post(
        reverse("imports:upload"),
        {"file": upload("telegram_export.json"), "community": other_community.pk},
    )
    assert response.status_code == 422
    assert ImportJob.objects.count() == 0


def test_a_chapter_heads_job_ingests_only_into_their_chapter(
    org,
    community,
    other_community,
    chapter_head,
    client_as,
    huey_immediate,
    django_capture_on_commit_callbacks,
    tmp_path,
):
    lines = (DATA / "activities.jsonl").read_bytes().replace(b'"sh-salon"', b'"bj-salon"', 1)
    with django_capture_on_commit_callbacks(execute=True):
        client_as("chapter_head").post(
            reverse("imports:upload"), {"file": upload("a.jsonl", lines)}
        )
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.DONE
    assert not Activity.objects.filter(community=other_community).exists()
    rejected = job.rejects_file.open("rb").read().decode().splitlines()
    assert [line.split(",")[0] for line in rejected] == [
        '{"line": 1',
        '{"line": 4',
        '{"line": 5',
        '{"line": 7',
    ]
    assert "bj-salon" in rejected[0]


def _jobs(org, community, other_community, org_admin, chapter_head, assistant, scope_of):
    made = {}
    for name, actor, where in [
        ("admin-here", org_admin, community),
        ("admin-there", org_admin, other_community),
        ("admin-nowhere", org_admin, None),
        ("head-nowhere", chapter_head, None),
        ("assistant-here", assistant, community),
    ]:
        made[name] = create_import_job(
            actor=scope_of(actor),
            organization=org,
            kind=ImportKind.ACTIVITIES,
            format=ImportFormat.JSONL,
            uploaded_file=SimpleUploadedFile(f"{name}.jsonl", b"{}\n"),
            community=where,
        )
    made["members"] = create_import_job(
        actor=scope_of(org_admin),
        organization=org,
        kind=ImportKind.MEMBERS,
        format=ImportFormat.CSV,
        uploaded_file=SimpleUploadedFile("members.csv", b"name\n"),
        community=community,
        status=ImportStatus.PENDING,
    )
    return made


def test_history_lists_who_imported_what_in_scope(
    org,
    community,
    other_community,
    org_admin,
    chapter_head,
    assistant,
    scope_of,
    client_as,
    django_assert_num_queries,
):
    _jobs(org, community, other_community, org_admin, chapter_head, assistant, scope_of)
    expected = {
        "org_admin": [
            "members.csv",
            "assistant-here.jsonl",
            "head-nowhere.jsonl",
            "admin-nowhere.jsonl",
            "admin-there.jsonl",
            "admin-here.jsonl",
        ],
        "chapter_head": [
            "members.csv",
            "assistant-here.jsonl",
            "head-nowhere.jsonl",
            "admin-here.jsonl",
        ],
        "assistant": ["members.csv", "assistant-here.jsonl", "admin-here.jsonl"],
    }
    for persona, names in expected.items():
        client = client_as(persona)
        client.get(reverse("imports:list"))  # warm the session
        # session, user, operator + scope, the page of jobs (with community and user)
        queries = {"org_admin": 4, "chapter_head": 5, "assistant": 5}[persona]
        with django_assert_num_queries(queries):
            response = client.get(reverse("imports:list"))
        page = response.content.decode()
        shown = [name for name in expected["org_admin"] if f">{name}</a>" in page]
        assert shown == names, persona
    members_only = client_as("org_admin").get(reverse("imports:list"), {"kind": "members"})
    assert ">members.csv</a>" in members_only.content.decode()
    assert ">admin-here.jsonl</a>" not in members_only.content.decode()


def test_history_is_paginated(org, community, org_admin, scope_of, client_as):
    for i in range(31):
        create_import_job(
            actor=scope_of(org_admin),
            organization=org,
            kind=ImportKind.ACTIVITIES,
            format=ImportFormat.JSONL,
            uploaded_file=SimpleUploadedFile(f"f{i}.jsonl", b"{}\n"),
            status=ImportStatus.DONE,
        )
    client = client_as("org_admin")
    first = client.get(reverse("imports:list")).content.decode()
    second = client.get(reverse("imports:list"), {"page": 2}).content.decode()
    assert ">f30.jsonl</a>" in first
    assert ">f0.jsonl</a>" not in first
    assert ">f0.jsonl</a>" in second
    assert ">f30.jsonl</a>" not in second


def test_job_pages_and_rejects_respect_the_scope(
    org,
    community,
    other_community,
    org_admin,
    chapter_head,
    assistant,
    scope_of,
    client_as,
):
    jobs = _jobs(org, community, other_community, org_admin, chapter_head, assistant, scope_of)
    there = jobs["admin-there"]
    there.rejects_file.name = "imports/rejects/x.jsonl"
    private_storage().save("imports/rejects/x.jsonl", ContentFile(b'{"line": 1}\n'))
    there.save(update_fields=["rejects_file"])
    for route in ("imports:detail", "imports:progress", "imports:rejects"):
        url = reverse(route, kwargs={"job_id": there.pk})
        assert client_as("org_admin").get(url).status_code == 200
        assert client_as("chapter_head").get(url).status_code == 404
        assert client_as("assistant").get(url).status_code == 404
        assert client_as("outsider").get(url).status_code == 403
        assert client_as("anonymous").get(url).status_code == 302
    no_rejects = reverse("imports:rejects", kwargs={"job_id": jobs["admin-here"].pk})
    assert client_as("org_admin").get(no_rejects).status_code == 404
