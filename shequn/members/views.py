"""Console pages for members (成员): list, profile, create and edit, and channel identities."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.accounts.selectors import OperatorScope
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.members.duplicates import get_duplicate_member_for_user
from shequn.members.forms import IdentityForm, MemberFilterForm, MemberForm
from shequn.members.selectors import (
    MemberMerged,
    get_identity_for_user,
    get_member_for_user,
    get_member_profile,
    list_members,
)
from shequn.members.services import add_identity, create_member, remove_identity, update_member

MEMBERS_PER_PAGE = 25


def _can_create_members(actor: OperatorScope) -> bool:
    """Organisation admins and chapter heads record members; assistants add them to groups."""
    return actor.is_org_admin or actor.is_chapter_head


@operator_required
def member_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    form = MemberFilterForm(request.GET or None, actor=actor)
    members = list_members(actor=actor, **form.filters())
    page = get_window(members, page=request.GET.get("page"), per_page=MEMBERS_PER_PAGE)
    context = {"form": form, "page": page, "can_create": _can_create_members(actor)}
    template = "members/partials/member_table.html" if request.htmx else "members/list.html"
    return render(request, template, context)


@operator_required
def member_create(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    actor.require(_can_create_members(actor))
    form = MemberForm(request.POST or None, request.FILES or None, actor=actor)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            member = create_member(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            duplicate = get_duplicate_member_for_user(actor=actor, error=exc)
        else:
            messages.success(request, _("Member %(name)s added.") % {"name": member})
            return redirect("members:detail", member_id=member.pk)
    return render(request, "members/create.html", {"form": form, "duplicate": duplicate})


def _render_detail(
    request: OperatorRequest, member_id: int, identity_form: IdentityForm | None = None
) -> HttpResponse:
    profile = get_member_profile(actor=request.operator_scope, member_id=member_id)
    context: dict[str, Any] = {"member": profile, "identity_form": identity_form or IdentityForm()}
    template = "members/partials/identities.html" if request.htmx else "members/detail.html"
    return render(request, template, context)


@operator_required
def member_detail(request: OperatorRequest, member_id: int) -> HttpResponse:
    try:
        return _render_detail(request, member_id)
    except MemberMerged as merged:  # a merged member's page: the member it lives on in
        messages.info(request, _("This member was merged into the member shown here."))
        return redirect("members:detail", member_id=merged.survivor_id)


@operator_required
def member_edit(request: OperatorRequest, member_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    initial = {name: getattr(member, name) for name in ("display_name", "phone", "email", "notes")}
    initial.update(chapter=member.chapter, avatar=member.avatar)
    form = MemberForm(
        request.POST or None, request.FILES or None, initial=initial, actor=actor, member=member
    )
    if request.method == "POST" and form.is_valid():
        try:
            member = update_member(actor=actor, member=member, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Member %(name)s saved.") % {"name": member})
            return redirect("members:detail", member_id=member.pk)
    return render(request, "members/edit.html", {"form": form, "member": member})


@operator_required
@require_POST
def identity_add(request: OperatorRequest, member_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    form = IdentityForm(request.POST)
    if form.is_valid():
        try:
            identity = add_identity(actor=actor, member=member, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(
                    request, _("Account %(identity)s linked.") % {"identity": identity}
                )
                return redirect("members:detail", member_id=member.pk)
            form = IdentityForm()
    return _render_detail(request, member.pk, identity_form=form)


@operator_required
@require_POST
def identity_remove(request: OperatorRequest, member_id: int, identity_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    identity = get_identity_for_user(actor=actor, identity_id=identity_id)
    if identity.member_id != member.pk:
        raise Http404(_("No such identity."))
    remove_identity(actor=actor, identity=identity)
    if request.htmx:
        return _render_detail(request, member.pk)
    messages.success(request, _("Account %(identity)s unlinked.") % {"identity": identity})
    return redirect("members:detail", member_id=member.pk)
