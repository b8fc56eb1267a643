"""What the keyword rules found in messages (shequn.tags.keywords): each message's hits, found
once (a message's text never changes) and kept, so a recompute reads hits, not texts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequn.members.models import Member


class KeywordHit(models.Model):
    """A message in which a keyword rule's words occur as words of their own."""

    id = models.BigAutoField(primary_key=True)
    tag = models.ForeignKey(
        "tags.Tag",
        on_delete=models.CASCADE,
        related_name="keyword_hits",
        db_index=False,  # leads the indexes below
        verbose_name=_("tag"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the merge moves hits by member: an index of its own below
        verbose_name=_("member"),
    )
    # The activity (no constraint: activities carry none either; a member's deletion takes both).
    activity_id = models.BigIntegerField(_("activity"))
    occurred_at = models.DateTimeField(_("occurred at"))
    hits = models.PositiveSmallIntegerField(_("hits"), default=1)

    class Meta:
        verbose_name = _("keyword hit")
        verbose_name_plural = _("keyword hits")
        constraints = [
            models.UniqueConstraint(fields=["tag", "activity_id"], name="keyword_hit_once"),
        ]
        indexes = [
            models.Index(fields=["tag", "member", "occurred_at"], name="keyword_hit_member"),
            models.Index(fields=["member"], name="keyword_hit_by_member"),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id}: {self.activity_id}"


class KeywordScan(models.Model):
    """How far a keyword rule has read the organisation's messages (activity ids), and for
    which words: a changed rule is read again from the start."""

    tag = models.OneToOneField(
        "tags.Tag",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="keyword_scan",
        verbose_name=_("tag"),
    )
    rule_key = models.CharField(_("rule read"), max_length=1000)
    scanned_to = models.BigIntegerField(_("read up to activity"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("keyword scan")
        verbose_name_plural = _("keyword scans")

    def __str__(self) -> str:
        return f"{self.tag_id}: {self.scanned_to}"
