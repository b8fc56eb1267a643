"""Console pages of member import: upload, preview with the column mapping, confirm."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shequn.imports.models import ImportJob, ImportKind, ImportStatus
from shequn.imports.tests.test_member_files import xlsx
from shequn.members.models import Member, Membership
from shequn.organizations.models import Community

CSV = "姓名,手机号,邮箱,社群\n王伟,13812345678,wang@example.com,sh-salon\n李娜,13900001111,,\n"
UPLOAD = reverse("member_imports:upload")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path: Path) -> Path:
    settings.SHEQUN_PRIVATE_ROOT = tmp_path / "private"
    return tmp_path / "private"


@pytest.fixture
def en(client_as):
    """client_as, with English pages (the default language is zh-hans)."""

    def make(persona: str):
        client = client_as(persona)
        client.cookies["django_language"] = "en"
        return client

    return make


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(client, data: bytes, name: str = "members.csv", **extra: object):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data), **extra})


def test_upload_creates_a_pending_job_with_a_private_file_and_the_preview(
    client_as, org_admin, settings, private_root
):
    client = client_as("org_admin")
    response = upload(client, CSV.encode("gbk"), name="名单.csv")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("member_imports:preview", kwargs={"job_id": job.pk})
    assert (job.kind, job.format, job.status, job.community, job.created_by) == (
        ImportKind.MEMBERS,
        "csv",
        ImportStatus.PENDING,
        None,
        org_admin.user,
    )
    assert job.original_name == "名单.csv"
    assert job.options == {
        "headers": ["姓名", "手机号", "邮箱", "社群"],
        "suggestion": {"name": "姓名", "phone": "手机号", "email": "邮箱", "community": "社群"},
        "total_rows": 2,
        "estimated": False,
    }
    assert [p.read_bytes() for p in stored_files(private_root)] == [CSV.encode("gbk")]
    assert not stored_files(Path(settings.MEDIA_ROOT))
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200
    assert '<td data-label="姓名">王伟</td>' in body
    assert '<td data-label="邮箱">—</td>' in body
    assert '<option value="手机号" selected>手机号</option>' in body
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The submitted file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "photo.csv", "This file is neither a CSV file nor an Excel"),
        (b"a,b\n1,2\n", "list.csv", "No column of this file is recognisable"),
        (b"Name\n", "list.csv", "The file has a header row but no members under it."),
    ],
)
def test_bad_files_are_refused_with_a_message_and_nothing_stored(
    en, org_admin, private_root, data, name, message
):
    response = upload(en("org_admin"), data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert stored_files(private_root) == []


def test_an_xlsx_without_recognisable_columns_in_chinese(client_as, org_admin, private_root):
    client = client_as("org_admin")
    client.cookies["django_language"] = "zh-hans"
    response = upload(client, xlsx([["序号", "公司"], [1, "某公司"]]), name="名单.xlsx")
    assert "这个文件没有可识别的列" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_scoped_operators_must_choose_a_community_of_their_scope(
    en, chapter_head, assistant, community, other_community, private_root
):
    head = en("chapter_head")
    page = head.get(UPLOAD).content.decode()
    assert f'<option value="{community.pk}"' in page
    assert f'<option value="{other_community.pk}"' not in page
    response = upload(head, CSV.encode())
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = upload(head, CSV.encode(), community=other_community.pk)
    assert "Select a valid choice." in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert stored_files(private_root) == []
    response = upload(en("assistant"), CSV.encode(), community=community.pk)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.community == community


def _pending(client) -> ImportJob:
    upload(client, CSV.encode())
    return ImportJob.objects.get()


def _preview_url(job: ImportJob) -> str:
    return reverse("member_imports:preview", kwargs={"job_id": job.pk})


MAPPING = {"name": "姓名", "phone": "手机号", "email": "邮箱", "community": "社群"}


def test_a_mapping_without_a_name_or_with_a_column_twice_queues_nothing(en, org_admin):
    client = en("org_admin")
    job = _pending(client)
    response = client.post(_preview_url(job), {**MAPPING, "name": ""})
    assert response.status_code == 200
    assert "Choose the column that holds the members&#x27; names." in response.content.decode()
    response = client.post(_preview_url(job), {**MAPPING, "notes": "手机号"})
    assert response.status_code == 200
    assert "The column 手机号 is already chosen for Phone." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING
    assert "mapping" not in job.options


@pytest.mark.usefixtures("huey_immediate")
def test_confirming_queues_the_job_which_runs_and_the_preview_then_redirects(
    client_as, org_admin, community, django_capture_on_commit_callbacks
):
    client = client_as("org_admin")
    job = _pending(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_preview_url(job), {**MAPPING, "wechat": ""})
    detail = reverse("imports:detail", kwargs={"job_id": job.pk})
    assert response.status_code == 302
    assert response["Location"] == detail
    job.refresh_from_db()
    assert job.options["mapping"] == MAPPING
    assert job.options["language"] == "zh-hans"
    assert (job.status, job.rows_new, job.rows_rejected) == (ImportStatus.DONE, 2, 0)
    assert Membership.objects.get().community == community
    again = client.post(_preview_url(job), MAPPING)
    assert (again.status_code, again["Location"]) == (302, detail)
    assert client.get(_preview_url(job))["Location"] == detail
    assert Member.objects.count() == 2


def test_other_operators_do_not_see_a_job_without_community(
    client_as, org_admin, chapter_head, assistant
):
    job = _pending(client_as("org_admin"))
    assert client_as("chapter_head").get(_preview_url(job)).status_code == 404
    assert client_as("assistant").post(_preview_url(job), MAPPING).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING


def test_an_activity_import_has_no_member_preview(client_as, org_admin):
    job = _pending(client_as("org_admin"))
    ImportJob.objects.filter(pk=job.pk).update(kind=ImportKind.ACTIVITIES)
    assert client_as("org_admin").get(_preview_url(job)).status_code == 404


def test_members_and_outsiders_are_refused_and_anonymous_sent_to_sign_in(
    client_as, member, outsider, private_root
):
    for persona in ("member", "outsider"):
        assert upload(client_as(persona), CSV.encode()).status_code == 403
    response = upload(client_as("anonymous"), CSV.encode())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert ImportJob.objects.count() == 0
    assert stored_files(private_root) == []
    assert Community.objects.count() == 1
