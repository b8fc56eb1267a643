"""API schemas of imports."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from ninja import Field, Schema

from shequn.core.schemas import PageMeta
from shequn.imports.models import ImportJob


class ImportJobOut(Schema):
    """One import job: what was uploaded, where it stands, and what it did so far."""

    id: int
    kind: str = Field(description="`activities` or `members`.")
    format: str = Field(description="`jsonl`, `telegram`, `csv` or `xlsx` (told by content).")
    status: str = Field(description="`pending`, `queued`, `running`, `done` or `failed`.")
    file_name: str
    size: int = Field(description="Bytes uploaded.")
    community_id: int | None
    created_by: str | None = Field(description="Username of the operator who uploaded it.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    bytes_read: int
    rows_read: int = Field(description="Lines, messages or spreadsheet rows read so far.")
    rows_new: int
    rows_duplicate: int
    rows_rejected: int
    error: str = Field(description="Why the job stopped early (a cut-off file), else empty.")
    rejects_url: str | None = Field(description="Where to download the rejected rows.")

    @staticmethod
    def resolve_file_name(obj: ImportJob) -> str:
        return obj.original_name

    @staticmethod
    def resolve_created_by(obj: ImportJob) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None

    @staticmethod
    def resolve_rejects_url(obj: ImportJob) -> str | None:
        if not obj.rejects_file:
            return None
        return reverse("api:import_rejects", kwargs={"job_id": obj.pk})


class ImportJobPage(PageMeta):
    items: list[ImportJobOut]
