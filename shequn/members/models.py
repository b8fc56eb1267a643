"""Members (成员), their identities on each channel, and their memberships in communities."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.core.collation import SORT_KEY_MAX_LENGTH
from shequn.core.models import TimeStampedModel
from shequn.organizations.models import Chapter, Community, Organization

DISPLAY_NAME_MAX_LENGTH = 64


class Member(TimeStampedModel):
    """A person within an organisation, whatever channels they use."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name=_("organisation"),
    )
    chapter = models.ForeignKey(
        Chapter,
        on_delete=models.SET_NULL,
        related_name="members",
        null=True,
        blank=True,
        verbose_name=_("home chapter"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="member",
        null=True,
        blank=True,
        verbose_name=_("web account"),
    )
    display_name = models.CharField(_("display name"), max_length=DISPLAY_NAME_MAX_LENGTH)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="members/avatars/", blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # What the person typed at sign-up where it differs from what an operator recorded
    # ({"display_name": …, "phone": …}); shown to operators, never copied over the record.
    signup_differences = models.JSONField(
        _("sign-up details that differ"), default=dict, blank=True, editable=False
    )
    # Kept by the services; shequn.members.counters.recount_members rebuilds them.
    community_count = models.PositiveIntegerField(
        _("active communities"), default=0, editable=False
    )
    sort_key = models.CharField(
        _("sort key"), max_length=SORT_KEY_MAX_LENGTH, default="", editable=False
    )
    # Identity merge: a member merged into another stays as this record (so an unmerge brings
    # it back exactly); every list, count and search leaves out members with `merged_into`.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        related_name="merged_members",
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["sort_key", "id"]
        indexes = [
            models.Index(Lower("display_name"), name="member_name_lower"),
            models.Index(fields=["organization", "phone"], name="member_org_phone"),
            models.Index(fields=["organization", "sort_key", "id"], name="member_org_sort"),
            models.Index(fields=["organization", "created_at", "id"], name="member_org_created"),
            models.Index(fields=["chapter", "sort_key", "id"], name="member_chapter_sort"),
        ]

    def __str__(self) -> str:
        return self.display_name


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    WECOM = "wecom", _("WeCom")
    WECHAT = "wechat", _("WeChat")
    TELEGRAM = "telegram", _("Telegram")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    QQ = "qq", _("QQ")
    FEISHU = "feishu", _("Feishu")
    DINGTALK = "dingtalk", _("DingTalk")
    DISCORD = "discord", _("Discord")
    SLACK = "slack", _("Slack")


class Identity(TimeStampedModel):
    """One member's account on one channel; unique per organisation, channel and external id."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="identities",
        verbose_name=_("organisation"),
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="identities", verbose_name=_("member")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("external id"), max_length=128)
    display_name = models.CharField(
        _("display name"), max_length=DISPLAY_NAME_MAX_LENGTH, blank=True
    )
    # When the person proved they own it (an email's verification link); None: not proven.
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    # What the channel tells about the person (the matching signals of identity merge).
    username = models.CharField(_("username"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)  # E.164 when known
    avatar_url = models.URLField(_("avatar URL"), max_length=500, blank=True)
    # WeChat's unionid: the same person across WeChat and WeCom (external contact) accounts.
    union_id = models.CharField(_("WeChat unionid"), max_length=64, blank=True)
    # The channel's profile as it came (kept whole; what we read from it is in the fields).
    raw_profile = models.JSONField(_("raw profile"), default=dict, blank=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        ordering = ["channel", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "external_id"],
                name="identity_unique_per_org_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "phone"], name="identity_org_phone"),
            models.Index(fields=["organization", "email"], name="identity_org_email"),
            models.Index(fields=["organization", "username"], name="identity_org_username"),
            models.Index(fields=["organization", "union_id"], name="identity_org_unionid"),
            models.Index(fields=["member"], name="identity_member"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}:{self.external_id}"


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    ASSISTANT = "assistant", _("Assistant")
    STUDY_COMMITTEE = "study_committee", _("Study committee")
    KOL = "kol", _("KOL")
    GUEST = "guest", _("Guest")
    MEMBER = "member", _("Member")


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("membership status", "Active")
    LEFT = "left", _("Left")
    REMOVED = "removed", _("Removed")


class MembershipSource(models.TextChoices):
    CONSOLE = "console", _("Added by an operator")
    SELF_SIGNUP = "self_signup", _("Joined on the web")
    INVITE = "invite", _("Invitation")
    APPLICATION = "application", _("Approved application")
    PAYMENT = "payment", _("Paid order")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    CHANNEL_SYNC = "channel_sync", _("Channel sync")


class Membership(TimeStampedModel):
    """A member in a community: their role, whether they are still in, and how they came."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("member")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("community"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
    )
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=MembershipSource.choices,
        default=MembershipSource.CONSOLE,
    )
    joined_at = models.DateTimeField(_("joined at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    # How the last stint ended (shequn.joining): by the member's request (they may rejoin under
    # the default rejoin rule), the reason given, and whether an operator allowed a rejoin.
    left_by_request = models.BooleanField(_("left by request"), default=False, db_default=False)
    end_reason = models.TextField(_("reason for leaving"), blank=True, default="", db_default="")
    rejoin_allowed = models.BooleanField(_("may rejoin"), default=False, db_default=False)
    # The member's `sort_key`, copied so a community's list sorts by name through an index.
    member_sort_key = models.CharField(
        _("sort key"), max_length=SORT_KEY_MAX_LENGTH, default="", editable=False
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "community"], name="membership_unique_member_community"
            ),
        ]
        indexes = [
            models.Index(
                fields=["community", "status", "joined_at", "id"], name="membership_status_joined"
            ),
            models.Index(
                fields=["community", "status", "member_sort_key", "id"],
                name="membership_status_name",
            ),
            models.Index(
                fields=["community", "status", "role", "joined_at", "id"],
                name="membership_role_joined",
            ),
            models.Index(
                fields=["community", "status", "role", "member_sort_key", "id"],
                name="membership_role_name",
            ),
            models.Index(fields=["community", "joined_at", "id"], name="membership_joined"),
            models.Index(fields=["community", "member_sort_key", "id"], name="membership_name"),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.community}"


class EmailVerificationPurpose(models.TextChoices):
    LINK = "link", _("Link a web account to a recorded member")
    CONFIRM = "confirm", _("Confirm a new member's email")


class EmailVerification(TimeStampedModel):
    """A sign-up waiting for its email to be proven (shequn.members.email_verification).

    LINK: the email belongs to a member an operator recorded; the web account stays unlinked
    until the link is used. CONFIRM: a new member's own email. Used once (`verified_at`).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_verifications",
        verbose_name=_("web account"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="email_verifications",
        verbose_name=_("member"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("community"),
    )
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=EmailVerificationPurpose.choices
    )
    email = models.EmailField(_("email"))
    display_name = models.CharField(_("display name"), max_length=DISPLAY_NAME_MAX_LENGTH)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email verification")
        verbose_name_plural = _("email verifications")
        indexes = [models.Index(fields=["user", "verified_at"], name="email_verif_user")]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_purpose_display()})"


NAME_GRAM_MAX_LENGTH = 2


class MemberNameGram(models.Model):
    """One- and two-character pieces of a member's name, for searches too short for trigrams.

    A Chinese name is two or three characters, so "张伟" or "伟" must find 张伟明 without a
    scan: the trigram index (shequn.members.search) serves three characters and more; this
    table serves one and two. Kept by the member services; `recount_members` rebuilds it.

    `organization` and `sort_key` are the member's, copied (as Membership.member_sort_key is),
    so a search's first page is read in order from the `member_name_gram_sort` index instead
    of looking up every match and sorting them (a surname matches ~1% of an organisation).
    """

    # Pieces are an index kept by the services (shequn.members.search, .bulk), written by the
    # thousand at ingestion: no database constraint on their two references (Django's cascade
    # still deletes them with their member), so a bulk of new members costs no trigger per piece.
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="name_grams",
        db_constraint=False,
        verbose_name=_("member"),
    )
    gram = models.CharField(_("name piece"), max_length=NAME_GRAM_MAX_LENGTH)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_constraint=False,
        verbose_name=_("organisation"),
    )
    sort_key = models.CharField(
        _("sort key"), max_length=SORT_KEY_MAX_LENGTH, default="", editable=False
    )

    class Meta:
        verbose_name = _("name piece")
        verbose_name_plural = _("name pieces")
        constraints = [
            models.UniqueConstraint(fields=["gram", "member"], name="member_name_gram_unique"),
        ]
        indexes = [
            models.Index(
                fields=["organization", "gram", "sort_key", "member"],
                name="member_name_gram_sort",
            ),
        ]

    def __str__(self) -> str:
        return self.gram


class MergeReason(models.TextChoices):
    """The evidence codes of a merge suggestion (shequn.members.merge_suggestions)."""

    PHONE = "phone", _("Same phone number")
    EMAIL = "email", _("Same email")
    UNION_ID = "union_id", _("Same WeChat unionid")
    USERNAME = "username", _("Same username on two channels")
    NAME = "name", _("Same name in one chapter")
    PINYIN = "pinyin", _("Same name in pinyin in one chapter")


class MergeSuggestionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("merge suggestion status", "Open")
    ACCEPTED = "accepted", pgettext_lazy("merge suggestion status", "Accepted")
    REJECTED = "rejected", pgettext_lazy("merge suggestion status", "Rejected")


class MergeSuggestion(models.Model):
    """Two members who may be one person: a confidence and the evidence, for review.

    One row per pair (member_a < member_b), whatever its status: a rejected pair keeps its row,
    so finding suggestions again never brings it back (shequn.members.merge_suggestions).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    member_a = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    member_b = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("other member")
    )
    confidence = models.FloatField(_("confidence"))
    # [{"code": MergeReason, "params": {...}}, …], strongest first; shown in words.
    evidence = models.JSONField(_("evidence"), default=list)
    # ",phone,email," — the codes of `evidence`, for the reason filter of the queue.
    reason_codes = models.CharField(_("reasons"), max_length=100, default="", editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MergeSuggestionStatus.choices,
        default=MergeSuggestionStatus.OPEN,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("merge suggestion")
        verbose_name_plural = _("merge suggestions")
        ordering = ["-confidence", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member_a", "member_b"], name="merge_suggestion_unique_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(member_a__lt=models.F("member_b")),
                name="merge_suggestion_ordered_pair",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "-confidence", "id"],
                name="merge_suggestion_queue",
            ),
            models.Index(fields=["member_b"], name="merge_suggestion_member_b"),
        ]

    def __str__(self) -> str:
        return f"{self.member_a_id} ~ {self.member_b_id} ({self.confidence:.0%})"


class Merge(models.Model):
    """One member (`source`) merged into another (`target`), with what an unmerge needs.

    The source stays as a record (`Member.merged_into`); the rows moved to the target are listed
    in MergeMove; `target_before` and `memberships` keep what the target's rows looked like.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    source = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="merges_as_source",
        verbose_name=_("merged member"),
    )
    target = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="merges_as_target",
        verbose_name=_("surviving member"),
    )
    suggestion = models.ForeignKey(
        MergeSuggestion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merges",
        verbose_name=_("suggestion"),
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged by"),
    )
    merged_at = models.DateTimeField(_("merged at"))
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unmerged by"),
    )
    unmerged_at = models.DateTimeField(_("unmerged at"), null=True, blank=True)
    # The target's fields the merge changed, as they were ({"notes": …, "phone": …, …}) and
    # the source's ({"user": …}).
    target_before = models.JSONField(_("surviving member before"), default=dict)
    source_before = models.JSONField(_("merged member before"), default=dict)
    # Communities both were in: {"kept": {membership id: old values}, "removed": [source rows]}.
    memberships = models.JSONField(_("shared memberships"), default=dict)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-merged_at", "-id"], name="merge_org_time"),
            models.Index(fields=["target", "unmerged_at"], name="merge_target"),
            models.Index(fields=["source", "unmerged_at"], name="merge_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"

    @property
    def is_active(self) -> bool:
        return self.unmerged_at is None


class MergeMove(models.Model):
    """One row a merge moved from the source to the target (model, its member field, its id)."""

    id = models.BigAutoField(primary_key=True)
    merge = models.ForeignKey(
        Merge, on_delete=models.CASCADE, related_name="moves", verbose_name=_("merge")
    )
    model = models.CharField(_("model"), max_length=100)  # "app_label.model_name"
    field = models.CharField(_("field"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)  # any primary key type

    class Meta:
        verbose_name = _("moved row")
        verbose_name_plural = _("moved rows")
        indexes = [models.Index(fields=["merge", "model", "field"], name="merge_move_merge")]

    def __str__(self) -> str:
        return f"{self.model}.{self.field} #{self.object_id}"
