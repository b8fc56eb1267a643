"""Segments (分群): saved filters over members (docs/segments.md).

A segment's `filters` is the JSON form of `shequn.segments.filters.SegmentFilters`; its count
and members are always computed now, within the viewer's scope. A segment with a chapter
belongs to that chapter (its head sees and edits it); without, to the organisation's admins.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequn.accounts.models import Operator
from shequn.core.collation import SORT_KEY_MAX_LENGTH
from shequn.core.models import TimeStampedModel
from shequn.organizations.models import Chapter, Organization

SEGMENT_NAME_MAX_LENGTH = 60


class Segment(TimeStampedModel):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="segments",
        verbose_name=_("organisation"),
    )
    chapter = models.ForeignKey(
        Chapter,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="segments",
        verbose_name=_("chapter"),
    )
    name = models.CharField(_("name"), max_length=SEGMENT_NAME_MAX_LENGTH)
    description = models.CharField(_("description"), max_length=200, blank=True)
    filters = models.JSONField(_("filters"), default=dict)
    # `sort_key_for(name)` (shequn.core.collation): lists sort names by pinyin through an index.
    sort_key = models.CharField(
        _("sort key"), max_length=SORT_KEY_MAX_LENGTH, default="", editable=False
    )
    created_by = models.ForeignKey(
        Operator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["sort_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="segment_unique_name"),
        ]
        indexes = [
            models.Index(fields=["organization", "sort_key", "id"], name="segment_org_sort"),
            models.Index(fields=["chapter", "sort_key", "id"], name="segment_chapter_sort"),
        ]

    def __str__(self) -> str:
        return self.name
