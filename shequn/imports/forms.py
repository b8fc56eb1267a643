"""The console's upload form of activity files: file, optional community, format by content."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.accounts.selectors import OperatorScope
from shequn.imports.activity_files import SNIFF_BYTES, ActivityFileError, detect_format_of_head
from shequn.imports.limits import upload_max_bytes
from shequn.imports.models import ImportFormat
from shequn.organizations.models import Community, CommunityStatus
from shequn.organizations.selectors import list_communities


def check_activity_upload(file: UploadedFile[bytes]) -> str:
    """The format of an uploaded activity file; ValidationError when it cannot be imported
    (empty, too big, not JSON Lines nor a Telegram export)."""
    limit = upload_max_bytes()
    if not file.size:
        raise forms.ValidationError(_("The file is empty."), code="empty")
    if file.size > limit:
        raise forms.ValidationError(
            _("The file is %(size)s; uploads are limited to %(limit)s.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
            code="too_big",
        )
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    try:
        return detect_format_of_head(head, complete=file.size <= len(head))
    except ActivityFileError as exc:
        raise forms.ValidationError(str(exc), code="format") from exc


class ActivityUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".json,.jsonl,.ndjson,.txt,application/json,application/x-ndjson"}
        ),
        help_text=gettext_lazy(
            "JSON Lines (one activity a line) or a Telegram Desktop chat export (result.json); "
            "the format is recognised from the content."
        ),
    )
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=gettext_lazy("— the rows name their community —"),
        help_text=gettext_lazy(
            "Where rows that name no community go. Required for a Telegram export (one chat)."
        ),
    )

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.format = ""
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = list_communities(actor=actor, status=CommunityStatus.ACTIVE)

    def clean_file(self) -> UploadedFile[bytes]:
        file: UploadedFile[bytes] = self.cleaned_data["file"]
        self.format = check_activity_upload(file)
        return file

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.format == ImportFormat.TELEGRAM and not data.get("community"):
            self.add_error(
                "community",
                _("A Telegram export is one chat: choose the community it belongs to."),
            )
        return data
