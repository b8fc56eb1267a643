"""Writes to operator accounts and API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.accounts.models import ApiToken, Operator, OperatorRole
from shequn.accounts.selectors import OperatorScope, hash_token
from shequn.audit.models import AuditAction
from shequn.audit.services import diff, record_audit
from shequn.organizations.models import Chapter, Community, Organization

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

TOKEN_PREFIX = "sq_"  # noqa: S105 - a prefix, not a secret
USERNAME_MAX_LENGTH = 150


def _scope_snapshot(operator: Operator) -> dict[str, Any]:
    return {
        "role": operator.role,
        "chapters": sorted(operator.chapters.values_list("id", flat=True)),
        "communities": sorted(operator.communities.values_list("id", flat=True)),
        "is_active": operator.user.is_active,
    }


def _check_scope(
    *,
    organization: Organization,
    role: str,
    chapters: Iterable[Chapter],
    communities: Iterable[Community],
) -> tuple[list[Chapter], list[Community]]:
    chapters, communities = list(chapters), list(communities)
    if role not in OperatorRole.values:
        raise ValidationError({"role": _("Unknown role.")}, code="invalid_role")
    if any(c.organization_id != organization.pk for c in chapters) or any(
        c.organization_id != organization.pk for c in communities
    ):
        raise ValidationError(_("Chapters and communities must belong to the organisation."))
    if role == OperatorRole.CHAPTER_HEAD and not chapters:
        raise ValidationError(
            {"chapters": _("A chapter head needs at least one chapter.")}, code="no_chapter"
        )
    if role == OperatorRole.ASSISTANT and not communities:
        raise ValidationError(
            {"communities": _("An assistant needs at least one community.")}, code="no_community"
        )
    if role != OperatorRole.CHAPTER_HEAD:
        chapters = []
    if role != OperatorRole.ASSISTANT:
        communities = []
    return chapters, communities


@transaction.atomic
def create_operator(
    *,
    actor: OperatorScope | None,
    organization: Organization,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    chapters: Iterable[Chapter] = (),
    communities: Iterable[Community] = (),
    check_password: bool = True,
) -> Operator:
    """A new operator account. `actor` None is the system (set-up and demo commands)."""
    if actor is not None:
        actor.require(actor.can_manage_organization())
        organization = actor.organization
    user_model = get_user_model()
    username = user_model.normalize_username(username.strip())
    if not username or len(username) > USERNAME_MAX_LENGTH:
        raise ValidationError(
            {"username": _("Enter a user name of 1 to 150 characters.")}, code="username"
        )
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    try:  # Django's rules: letters, digits and @/./+/-/_ only (UnicodeUsernameValidator)
        if isinstance(username_field, models.Field):
            username_field.run_validators(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.error_list}) from exc
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("This user name is taken.")}, code="duplicate_username"
        )
    chapter_list, community_list = _check_scope(
        organization=organization, role=role, chapters=chapters, communities=communities
    )
    user = user_model(username=username, email=email.strip(), first_name=first_name.strip())
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.error_list}) from exc
    user.set_password(password)
    user.save()
    operator = Operator.objects.create(user=user, organization=organization, role=role)
    operator.chapters.set(chapter_list)
    operator.communities.set(community_list)
    if actor is not None:
        record_audit(
            actor=actor,
            action=AuditAction.CREATE,
            target=operator,
            changes=_scope_snapshot(operator),
        )
    return operator


@transaction.atomic
def update_operator(
    *,
    actor: OperatorScope,
    operator: Operator,
    role: str,
    chapters: Iterable[Chapter] = (),
    communities: Iterable[Community] = (),
    is_active: bool = True,
) -> Operator:
    """Change an operator's role and scope, or switch the account off."""
    actor.require(actor.can_manage_organization())
    if operator.pk == actor.operator.pk and (role != operator.role or not is_active):
        raise ValidationError(
            _("You cannot change your own role or switch off your own account."),
            code="self_change",
        )
    before = _scope_snapshot(operator)
    chapter_list, community_list = _check_scope(
        organization=operator.organization,
        role=role,
        chapters=chapters,
        communities=communities,
    )
    operator.role = role
    operator.save(update_fields=["role", "updated_at"])
    operator.chapters.set(chapter_list)
    operator.communities.set(community_list)
    if operator.user.is_active != is_active:
        operator.user.is_active = is_active
        operator.user.save(update_fields=["is_active"])
    changes = diff(before, _scope_snapshot(operator))
    if changes:
        record_audit(actor=actor, action=AuditAction.UPDATE, target=operator, changes=changes)
    return operator


@transaction.atomic
def set_operator_password(*, actor: OperatorScope, operator: Operator, password: str) -> None:
    """An admin sets a new password for an operator (e.g. who forgot theirs)."""
    if operator.pk != actor.operator.pk:
        actor.require(actor.can_manage_organization())
    try:
        validate_password(password, operator.user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    operator.user.set_password(password)
    operator.user.save(update_fields=["password"])
    record_audit(
        actor=actor, action=AuditAction.UPDATE, target=operator, changes={"password": "***"}
    )


@transaction.atomic
def issue_api_token(
    *, actor: OperatorScope | None, operator: Operator, name: str = ""
) -> tuple[ApiToken, str]:
    """A new personal token for `operator`; the raw value is returned once and never stored."""
    if actor is not None and actor.operator.pk != operator.pk:
        actor.require(False)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        operator=operator, name=name.strip()[:80], prefix=raw[:10], token_hash=hash_token(raw)
    )
    record_audit(
        actor=actor,
        action=AuditAction.ISSUE_TOKEN,
        target=token,
        changes={"name": token.name},
        organization_id=operator.organization_id,
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, actor: OperatorScope, token: ApiToken) -> ApiToken:
    actor.require(token.operator_id == actor.operator.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record_audit(actor=actor, action=AuditAction.REVOKE_TOKEN, target=token)
    return token


def touch_api_token(*, token: ApiToken) -> None:
    """Note when a token was last used (at most once a minute, without a read first)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def lift_sign_in_lockout(*, user: AbstractBaseUser) -> int:
    """Forget a web account's failed sign-ins (django-axes), e.g. once its password was reset
    by email: whoever chose the new password may sign in with it at once. How many were kept."""
    return int(axes_reset(username=user.get_username()))
