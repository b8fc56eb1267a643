"""Writes started from the member pages; each composes the members app's services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shequn.members.models import Membership, MembershipStatus
from shequn.members.selectors import get_visitor_membership
from shequn.members.services import join_open_community, sign_up_member
from shequn.organizations.models import Community, CommunityAccess


@transaction.atomic
def sign_up_and_join(
    *,
    community: Community,
    display_name: str,
    email: str,
    password: str,
    phone: str = "",
) -> Membership:
    """A visitor creates a web account on an open community's page and joins it.

    All or nothing: when joining fails (the community is full, say), no account is kept.
    A person an operator had already put into the community keeps that membership.
    """
    if community.access != CommunityAccess.OPEN:
        raise ValidationError(
            _("This community admits members by invitation or approval only."), code="not_open"
        )
    member = sign_up_member(
        organization=community.organization,
        display_name=display_name,
        email=email,
        password=password,
        phone=phone,
    )
    existing = get_visitor_membership(member=member, community=community)
    if existing is not None and existing.status == MembershipStatus.ACTIVE:
        return existing
    return join_open_community(member=member, community=community)
