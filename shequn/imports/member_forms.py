"""Forms of the member import pages: the upload, and the column mapping of its preview."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.accounts.selectors import OperatorScope
from shequn.imports.member_files import (
    FIELD_LABELS,
    FIELDS,
    MAX_FILE_SIZE,
    MemberFileError,
    Preview,
    read_preview,
)
from shequn.organizations.models import Community, CommunityStatus


def scoped_communities(actor: OperatorScope) -> Any:
    """The active communities the actor may add members to (the default community's choices)."""
    return (
        Community.objects.filter(actor.community_filter(), status=CommunityStatus.ACTIVE)
        .select_related("chapter")
        .order_by("sort_key", "id")
    )


ACCEPT = ",".join(
    (
        ".csv",
        ".tsv",
        ".txt",
        ".xlsx",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
)


class MemberUploadForm(forms.Form):
    """A CSV or .xlsx file, and the community rows without one go to."""

    file = forms.FileField(
        label=gettext_lazy("Member list (CSV or Excel .xlsx)"),
        help_text=gettext_lazy(
            "The first row names the columns (姓名, 手机号, 邮箱, 微信号, 社群, 角色, 入群时间…). "
            "At most 20 MB and 100,000 rows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    community = forms.ModelChoiceField(
        label=gettext_lazy("Default community"),
        queryset=Community.objects.none(),
        required=False,
        help_text=gettext_lazy("Rows that do not name a community join this one."),
    )

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.preview: Preview | None = None
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = scoped_communities(actor)
        if not actor.is_org_admin:
            # Chapter heads and assistants import into their own communities only.
            field.required = True
            field.help_text = _("Rows that do not name a community join this one (required).")
            field.empty_label = None

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_FILE_SIZE:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB. Split it and upload the parts.")
                % {"size": MAX_FILE_SIZE // (1024 * 1024)},
                code="too_large",
            )
        try:
            self.preview = read_preview(upload)
        except MemberFileError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        upload.seek(0)
        return upload


class MemberMappingForm(forms.Form):
    """One select per field: which column holds it (pre-filled with the suggestion)."""

    def __init__(
        self, *args: Any, headers: list[str], suggestion: dict[str, str], **kwargs: Any
    ) -> None:
        kwargs["initial"] = suggestion
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *[(h, h) for h in headers]]
        for name in FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=FIELD_LABELS[name], choices=choices, required=False
            )
        self.fields["name"].required = True
        self.fields["name"].error_messages["required"] = _(
            "Choose the column that holds the members' names."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        by_column: dict[str, list[str]] = {}
        for name in FIELDS:
            column = cleaned.get(name)
            if column:
                by_column.setdefault(column, []).append(name)
        for column, names in by_column.items():
            for name in names[1:]:
                self.add_error(
                    name,
                    _("The column %(column)s is already chosen for %(field)s.")
                    % {"column": column, "field": FIELD_LABELS[names[0]]},
                )
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in FIELDS if self.cleaned_data.get(name)}
