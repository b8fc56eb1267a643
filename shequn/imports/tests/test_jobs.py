"""Import jobs: the bookkeeping services, the Huey task and the sweeper."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from shequn.activity.models import Activity
from shequn.audit.models import AuditEntry
from shequn.imports import tasks
from shequn.imports.models import ImportFormat, ImportJob, ImportKind, ImportStatus
from shequn.imports.services import (
    RejectsWriter,
    claim_import_job,
    create_import_job,
    fail_import_job,
    record_import_progress,
)
from shequn.imports.tests.conftest import DATA


def _job(org, community, *, status=ImportStatus.QUEUED, actor=None, name="telegram_export.json"):
    upload = ContentFile((DATA / name).read_bytes(), name="result.json")
    return create_import_job(
        actor=actor,
        organization=org,
        kind=ImportKind.ACTIVITIES,
        format=ImportFormat.TELEGRAM,
        uploaded_file=upload,
        community=community,
        status=status,
    )


def test_create_stores_privately_audits_and_enqueues_on_commit(
    org, community, org_admin, scope_of, private_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = _job(org, community, actor=scope_of(org_admin))
    assert len(callbacks) == 1
    stored = Path(private_root) / job.file.name
    assert stored.read_bytes() == (DATA / "telegram_export.json").read_bytes()
    assert job.file.name.startswith("imports/files/")
    assert job.file.name.endswith(".json")
    assert (job.original_name, job.size, job.created_by) == (
        "result.json",
        stored.stat().st_size,
        org_admin.user,
    )
    entry = AuditEntry.objects.get(object_type="importjob")
    assert (entry.action, entry.object_id, entry.community_id, entry.actor_id) == (
        "import",
        str(job.pk),
        community.pk,
        org_admin.user.pk,
    )


def test_a_pending_job_is_not_enqueued(org, community, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        _job(org, community, status=ImportStatus.PENDING)
    assert callbacks == []


def test_run_through_huey(org, community, huey_immediate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = _job(org, community)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.rows_read, job.rows_new, job.rows_duplicate, job.rows_rejected) == (16, 13, 0, 4)
    assert job.bytes_read == job.size
    assert job.started_at is not None
    assert job.finished_at >= job.started_at
    assert job.rejects_file.name.startswith("imports/rejects/")
    assert job.rejects_file.open("rb").read().count(b"\n") == 4
    assert Activity.objects.count() == 13
    # The new members of the file: the organisation's merge suggestions are asked for, once.
    assert [
        (t.name, tuple(t.args))
        for t in huey_immediate.scheduled()
        if t.name not in ("recompute_pending", "award_pending")  # derived data: own tests
    ] == [("find_merge_suggestions", (org.pk,))]


def test_merge_suggestions_are_asked_for_once_a_minute(
    org, huey_immediate, django_capture_on_commit_callbacks
):
    from shequn.members.tasks import request_merge_suggestions

    with django_capture_on_commit_callbacks(execute=True):
        assert request_merge_suggestions(org.pk) is True
        assert request_merge_suggestions(org.pk) is False  # one is already waiting
    [task] = huey_immediate.scheduled()
    assert (task.name, tuple(task.args)) == ("find_merge_suggestions", (org.pk,))
    assert task.eta is not None


def test_claim_is_once_and_running_twice_stores_once(org, community):
    job = _job(org, community)
    assert claim_import_job(job.pk) is not None
    assert claim_import_job(job.pk) is None
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    tasks.run_import.call_local(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    tasks.run_import.call_local(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_new, job.rows_duplicate) == (ImportStatus.DONE, 0, 13)
    assert Activity.objects.count() == 13
    tasks.run_import.call_local(job.pk)  # done: nothing happens
    job.refresh_from_db()
    assert (job.status, job.rows_duplicate) == (ImportStatus.DONE, 13)


def test_a_cut_off_file_fails_the_job_and_keeps_what_came_before(org, community):
    job = _job(org, community, name="telegram_cutoff.json")
    tasks.run_import.call_local(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "9" in job.error
    assert (job.rows_read, job.rows_new) == (9, 9)
    assert Activity.objects.count() == 9


def test_progress_is_totals_of_running_jobs_only(org, community):
    job = _job(org, community)
    record_import_progress(job.pk, bytes_read=5, rows_read=1, new=1, duplicate=0, rejected=0)
    job.refresh_from_db()
    assert job.rows_read == 0  # not running
    claim_import_job(job.pk)
    record_import_progress(job.pk, bytes_read=5, rows_read=3, new=2, duplicate=1, rejected=0)
    job.refresh_from_db()
    assert (job.bytes_read, job.rows_read, job.rows_new, job.rows_duplicate) == (5, 3, 2, 1)
    fail_import_job(job.pk, error="x" * 5000)
    job.refresh_from_db()
    assert (job.status, len(job.error)) == (ImportStatus.FAILED, 2000)


def test_rejects_writer(tmp_path):
    path = tmp_path / "r.jsonl"
    with RejectsWriter(path) as writer:
        writer.write(3, "bad", b'{"a": \n')
        writer.write({"message_id": 7}, "worse", {"id": 7})
    assert writer.count == 2
    assert path.read_text().splitlines() == [
        '{"line": 3, "reason": "bad", "row": "{\\"a\\": "}',
        '{"message_id": 7, "reason": "worse", "row": {"id": 7}}',
    ]
    empty = RejectsWriter(tmp_path / "none.jsonl")
    empty.close()
    assert not (tmp_path / "none.jsonl").exists()


def test_sweeper_requeues_stalled_jobs_only(org, community, huey_immediate, settings):
    settings.SHEQUN_IMPORT_STALL_SECONDS = 180
    stalled_running = _job(org, community)
    claim_import_job(stalled_running.pk)
    fresh_running = _job(org, community)
    claim_import_job(fresh_running.pk)
    stalled_queued = _job(org, community)
    done = _job(org, community)
    ImportJob.objects.filter(pk=done.pk).update(status=ImportStatus.DONE)
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    ImportJob.objects.filter(pk__in=[stalled_running.pk, stalled_queued.pk, done.pk]).update(
        updated_at=long_ago
    )

    assert tasks.requeue_stalled_imports.call_local() == 2

    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert statuses == {
        stalled_running.pk: ImportStatus.DONE,
        stalled_queued.pk: ImportStatus.DONE,
        fresh_running.pk: ImportStatus.RUNNING,
        done.pk: ImportStatus.DONE,
    }
    assert Activity.objects.count() == 13  # two runs of one file: stored once
    assert tasks.requeue_stalled_imports.call_local() == 0
