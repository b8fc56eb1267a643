"""Console pages of invitations (/invitations/): links, their QR codes, who brought whom."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.accounts.selectors import OperatorScope
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.invitations.forms import InviterKind, LinkCreateForm, LinkFilterForm, LinkSettingsForm
from shequn.invitations.models import InviteLink
from shequn.invitations.qr import landing_url, qr_download, qr_svg_inline
from shequn.invitations.selectors import (
    get_invite_link_for_user,
    get_inviter_operator,
    get_link_status,
    list_invite_links,
    list_invitees,
    list_inviters,
    list_link_joins,
)
from shequn.invitations.services import (
    create_invite_link,
    set_invite_link_enabled,
    update_invite_link,
)
from shequn.members.models import Member
from shequn.members.selectors import get_member_for_user, list_members
from shequn.organizations.selectors import get_community_for_user

PER_PAGE = 25


def _with_status(links: list[InviteLink]) -> list[InviteLink]:
    for link in links:
        link.status = get_link_status(link)  # type: ignore[attr-defined]
    return links


@operator_required
@require_GET
def link_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    form = LinkFilterForm(request.GET or None, actor=actor)
    links = list_invite_links(actor=actor, **form.filters())
    page = get_window(links, page=request.GET.get("page"), per_page=PER_PAGE)
    _with_status(page.object_list)
    template = "invitations/link_table.html" if request.htmx else "invitations/link_list.html"
    return render(request, template, {"form": form, "page": page})


def _find_member(actor: OperatorScope, text: str) -> Member:
    """The member an operator named by id or by a name that matches exactly one member."""
    text = text.strip()
    if text.isdigit():
        try:
            return get_member_for_user(actor=actor, member_id=int(text))
        except Http404:
            raise ValidationError({"member": _("No member with this id.")}) from None
    found = list(list_members(actor=actor, q=text)[:2])
    if len(found) != 1:
        message = _("No member matches.") if not found else _("Several members match: use the id.")
        raise ValidationError({"member": message})
    return found[0]


@operator_required
@require_http_methods(["GET", "POST"])
def link_create(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    initial = {"community": request.GET.get("community")}
    form = LinkCreateForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            community = get_community_for_user(actor=actor, community_id=data["community"])
            kind = data["inviter_kind"]
            link = create_invite_link(
                actor=actor,
                community=community,
                purpose=data["purpose"],
                inviter_member=_find_member(actor, data["member"])
                if kind == InviterKind.MEMBER
                else None,
                inviter_operator=kind == InviterKind.ME,
                expires_at=data["expires_at"],
                max_uses=data["max_uses"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The invite link was created."))
            return redirect("invitations:detail", link_id=link.pk)
    return render(request, "invitations/link_create.html", {"form": form})


@operator_required
@require_GET
def link_detail(request: OperatorRequest, link_id: int) -> HttpResponse:
    actor = request.operator_scope
    link = get_invite_link_for_user(actor=actor, link_id=link_id)
    joins = get_window(
        list_link_joins(actor=actor, link=link), page=request.GET.get("page"), per_page=PER_PAGE
    )
    url = landing_url(request, link)
    context: dict[str, Any] = {
        "link": _with_status([link])[0],
        "url": url,
        "qr": qr_svg_inline(url, scale=4),
        "page": joins,
    }
    return render(request, "invitations/link_detail.html", context)


@operator_required
@require_http_methods(["GET", "POST"])
def link_edit(request: OperatorRequest, link_id: int) -> HttpResponse:
    actor = request.operator_scope
    link = get_invite_link_for_user(actor=actor, link_id=link_id)
    actor.require(actor.can_manage_members_of(link.community_id, link.community.chapter_id))
    initial = {"purpose": link.purpose, "expires_at": link.expires_at, "max_uses": link.max_uses}
    form = LinkSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_invite_link(actor=actor, link=link, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The invite link was saved."))
            return redirect("invitations:detail", link_id=link.pk)
    return render(request, "invitations/link_edit.html", {"form": form, "link": link})


def _switch(request: OperatorRequest, link_id: int, *, enabled: bool) -> HttpResponse:
    actor = request.operator_scope
    link = get_invite_link_for_user(actor=actor, link_id=link_id)
    set_invite_link_enabled(actor=actor, link=link, enabled=enabled)
    if enabled:
        messages.success(request, _("The invite link is on again."))
    else:
        messages.success(request, _("The invite link is switched off: it brings nobody in."))
    return redirect("invitations:detail", link_id=link.pk)


@operator_required
@require_POST
def link_disable(request: OperatorRequest, link_id: int) -> HttpResponse:
    return _switch(request, link_id, enabled=False)


@operator_required
@require_POST
def link_enable(request: OperatorRequest, link_id: int) -> HttpResponse:
    return _switch(request, link_id, enabled=True)


@operator_required
@require_GET
def link_qr_png(request: OperatorRequest, link_id: int) -> HttpResponse:
    link = get_invite_link_for_user(actor=request.operator_scope, link_id=link_id)
    return qr_download(request, link, kind="png")


@operator_required
@require_GET
def link_qr_svg(request: OperatorRequest, link_id: int) -> HttpResponse:
    link = get_invite_link_for_user(actor=request.operator_scope, link_id=link_id)
    return qr_download(request, link, kind="svg")


@operator_required
@require_GET
def link_show(request: OperatorRequest, link_id: int) -> HttpResponse:
    """Full screen on a phone: the big QR code, the community's name and the short address."""
    link = get_invite_link_for_user(actor=request.operator_scope, link_id=link_id)
    url = landing_url(request, link)
    context = {"link": link, "url": url, "qr": qr_svg_inline(url)}
    return render(request, "invitations/link_show.html", context)


@operator_required
@require_GET
def inviter_list(request: OperatorRequest) -> HttpResponse:
    """Who brought whom: per inviter, invitees, still in, the last join."""
    actor = request.operator_scope
    form = LinkFilterForm(request.GET or None, actor=actor)
    community_id = form.filters().get("community_id")
    rows = list_inviters(actor=actor, community_id=community_id)
    page = get_window(rows, page=request.GET.get("page"), per_page=PER_PAGE, count=len(rows))
    return render(request, "invitations/inviter_list.html", {"form": form, "page": page})


def _invitees_page(request: OperatorRequest, *, inviter: str, **filters: int) -> HttpResponse:
    joins = list_invitees(actor=request.operator_scope, **filters)
    page = get_window(joins, page=request.GET.get("page"), per_page=PER_PAGE)
    context = {"inviter": inviter, "page": page, "member_id": filters.get("inviter_member_id")}
    return render(request, "invitations/invitees.html", context)


@operator_required
@require_GET
def member_invitees(request: OperatorRequest, member_id: int) -> HttpResponse:
    member = get_member_for_user(actor=request.operator_scope, member_id=member_id)
    return _invitees_page(request, inviter=member.display_name, inviter_member_id=member.pk)


@operator_required
@require_GET
def operator_invitees(request: OperatorRequest, operator_id: int) -> HttpResponse:
    operator = get_inviter_operator(actor=request.operator_scope, operator_id=operator_id)
    name = operator.user.get_username()
    return _invitees_page(request, inviter=name, inviter_operator_id=operator.pk)
