"""Segments (分群): saved filters over members (docs/segments.md).

A segment's `filters` is the JSON form of `shequn.segments.filters.SegmentFilters`; its count
and members are always computed now, within the viewer's scope. A segment with a chapter
belongs to that chapter (its head sees and edits it); without, to the organisation's admins.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequn.accounts.models import Operator
from shequn.core.models import TimeStampedModel
from shequn.organizations.models import Chapter, Organization

SEGMENT_NAME_MAX_LENGTH = 60


class Segment(TimeStampedModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="segments", verbose_name=_("organisation")
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
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="segment_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
