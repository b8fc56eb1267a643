"""The member import job through Huey (immediate mode): progress, rejects, reruns, failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile

from shequn.imports import member_runner
from shequn.imports.member_runner import run_member_import
from shequn.imports.models import ImportJob, ImportKind, ImportStatus
from shequn.imports.services import create_import_job, queue_import_job, requeue_import_job
from shequn.imports.storage import private_storage
from shequn.imports.tests.test_member_files import xlsx
from shequn.members.models import Identity, Member, Membership
from shequn.organizations.models import Community

pytestmark = pytest.mark.usefixtures("huey_immediate")

CSV = (
    "姓名,手机号,邮箱,微信号,社群,角色,入群时间\n"
    "王伟,138 1234 5678,Wang@Example.com,wx-ww,sh-salon,助教,2024/3/1\n"
    ",13900000000,,,sh-salon,,\n"
    "李娜,+86 139-0000-1111,,,上海沙龙群,,2024-03-02 10:00\n"
    "张三,12345,,,sh-salon,,\n"
    "赵六,13700000000,,,nowhere,,\n"
    "王伟,13812345678,,,sh-salon,,\n"
)
MAPPING = {
    "name": "姓名",
    "phone": "手机号",
    "email": "邮箱",
    "wechat": "微信号",
    "community": "社群",
    "role": "角色",
    "joined_at": "入群时间",
}


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path: Path) -> None:
    settings.SHEQUN_PRIVATE_ROOT = tmp_path / "private"


def start(
    actor: Any,
    data: bytes,
    *,
    mapping: dict[str, str] | None = None,
    community: Community | None = None,
    name: str = "members.csv",
    fmt: str = "csv",
    capture: Any,
) -> ImportJob:
    job = create_import_job(
        actor=actor,
        organization=actor.organization,
        kind=ImportKind.MEMBERS,
        format=fmt,
        uploaded_file=ContentFile(data, name=name),
        community=community,
        status=ImportStatus.PENDING,
    )
    with capture(execute=True):
        assert queue_import_job(
            actor=actor, job=job, options={"mapping": mapping or MAPPING, "language": "en"}
        )
    job.refresh_from_db()
    return job


def rejects_of(job: ImportJob) -> list[dict[str, Any]]:
    assert job.rejects_file.name
    with private_storage().open(job.rejects_file.name) as file:
        return [json.loads(line) for line in file.read().decode().splitlines()]


@pytest.fixture
def admin(org_admin, scope_of):
    return scope_of(org_admin)


def test_the_job_imports_reports_counts_and_writes_rejects(
    django_capture_on_commit_callbacks, admin, community
):
    data = CSV.encode("gbk")
    job = start(admin, data, capture=django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    assert job.error == ""
    assert (job.rows_read, job.rows_new, job.rows_duplicate, job.rows_rejected) == (6, 2, 1, 3)
    assert job.bytes_read == job.size == len(data)
    assert job.started_at is not None
    assert job.finished_at is not None
    assert sorted(Member.objects.values_list("display_name", flat=True)) == ["李娜", "王伟"]
    assert Community.objects.get(pk=community.pk).member_count == 2
    assert rejects_of(job) == [
        {
            "line": 3,
            "reason": "No name.",
            "row": dict(
                zip(MAPPING.values(), ["", "13900000000", "", "", "sh-salon", "", ""], strict=True)
            ),
        },
        {
            "line": 5,
            "reason": "Invalid phone number: 12345",
            "row": dict(
                zip(MAPPING.values(), ["张三", "12345", "", "", "sh-salon", "", ""], strict=True)
            ),
        },
        {
            "line": 6,
            "reason": "Unknown community: nowhere",
            "row": dict(
                zip(
                    MAPPING.values(),
                    ["赵六", "13700000000", "", "", "nowhere", "", ""],
                    strict=True,
                )
            ),
        },
    ]


def test_importing_the_same_file_again_adds_nothing(
    django_capture_on_commit_callbacks, admin, community
):
    start(admin, CSV.encode(), capture=django_capture_on_commit_callbacks)
    before = (Member.objects.count(), Identity.objects.count(), Membership.objects.count())
    again = start(admin, CSV.encode(), capture=django_capture_on_commit_callbacks)
    assert again.status == ImportStatus.DONE
    assert (again.rows_read, again.rows_new, again.rows_duplicate, again.rows_rejected) == (
        6,
        0,
        3,
        3,
    )
    assert (Member.objects.count(), Identity.objects.count(), Membership.objects.count()) == before
    assert Community.objects.get(pk=community.pk).member_count == 2


def test_a_job_run_twice_claims_once_and_a_requeued_one_adds_nothing(
    django_capture_on_commit_callbacks, admin, community
):
    job = start(admin, CSV.encode(), capture=django_capture_on_commit_callbacks)
    members = Member.objects.count()
    run_member_import(job.pk)  # DONE: not claimed again
    job.refresh_from_db()
    assert (job.status, job.rows_new) == (ImportStatus.DONE, 2)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    import datetime

    from django.utils import timezone

    assert requeue_import_job(job.pk, stalled_before=timezone.now() + datetime.timedelta(minutes=1))
    run_member_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_new, job.rows_duplicate, job.rows_rejected) == (
        ImportStatus.DONE,
        0,
        3,
        3,
    )
    assert Member.objects.count() == members


def test_batches_see_the_members_of_earlier_batches(
    django_capture_on_commit_callbacks, admin, community, monkeypatch
):
    monkeypatch.setattr(member_runner, "BATCH_SIZE", 2)
    job = start(admin, CSV.encode(), capture=django_capture_on_commit_callbacks)
    assert (job.rows_read, job.rows_new, job.rows_duplicate, job.rows_rejected) == (6, 2, 1, 3)
    assert Member.objects.filter(display_name="王伟").count() == 1


def test_an_xlsx_job_with_a_default_community(
    django_capture_on_commit_callbacks, chapter_head, scope_of, community
):
    head = scope_of(chapter_head)
    data = xlsx([["姓名", "手机"], ["王伟", 13812345678], ["李娜", 13900001111]])
    job = start(
        head,
        data,
        mapping={"name": "姓名", "phone": "手机"},
        community=community,
        name="members.xlsx",
        fmt="xlsx",
        capture=django_capture_on_commit_callbacks,
    )
    assert job.status == ImportStatus.DONE
    assert (job.rows_read, job.rows_new, job.rows_rejected) == (2, 2, 0)
    assert job.bytes_read == job.size
    assert not job.rejects_file
    assert set(Membership.objects.values_list("member__phone", "community_id")) == {
        ("+8613812345678", community.pk),
        ("+8613900001111", community.pk),
    }


def test_a_mapped_column_missing_from_the_file_fails_the_job(
    django_capture_on_commit_callbacks, admin
):
    job = start(
        admin,
        b"Name,Phone\nBob,13812345678\n",
        mapping={"name": "Name", "phone": "Mobile"},
        capture=django_capture_on_commit_callbacks,
    )
    assert (job.status, job.error) == (ImportStatus.FAILED, "The column Mobile is not in the file.")
    assert Member.objects.count() == 0


def test_rows_that_are_not_text_are_rejected_and_the_others_kept(
    django_capture_on_commit_callbacks, admin, monkeypatch
):
    monkeypatch.setattr(member_runner, "BATCH_SIZE", 100)
    good = "".join(f"成员{i},138{i:08d}\n" for i in range(3000))
    data = ("姓名,手机\n" + good).encode() + b"\xff\xfe broken,1\n" + "最后,13912345678\n".encode()
    job = start(
        admin,
        data,
        mapping={"name": "姓名", "phone": "手机"},
        capture=django_capture_on_commit_callbacks,
    )
    assert job.status == ImportStatus.DONE
    assert (job.rows_read, job.rows_new, job.rows_rejected) == (3002, 3001, 1)
    assert Member.objects.count() == 3001
    assert rejects_of(job) == [
        {
            "line": 3002,
            "reason": "This row is not text in the file's encoding (UTF-8).",
            "row": {"姓名": "\ufffd\ufffd broken", "手机": "1"},
        }
    ]


def test_an_uploader_who_is_no_longer_an_operator_fails_the_job(
    django_capture_on_commit_callbacks, admin, org_admin
):
    job = create_import_job(
        actor=admin,
        organization=admin.organization,
        kind=ImportKind.MEMBERS,
        format="csv",
        uploaded_file=ContentFile(CSV.encode(), name="m.csv"),
        status=ImportStatus.PENDING,
    )
    org_admin.user.is_active = False
    org_admin.user.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        queue_import_job(actor=admin, job=job, options={"mapping": MAPPING, "language": "en"})
    job.refresh_from_db()
    assert (job.status, job.error) == (
        ImportStatus.FAILED,
        "The operator who uploaded this file can no longer import.",
    )
    assert Member.objects.count() == 0
