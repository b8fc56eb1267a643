"""Console pages: the dashboard, communities and their members, chapters (HTML + htmx)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.accounts.selectors import OperatorScope
from shequn.core.forms import add_service_errors
from shequn.core.pagination import WindowPage, get_window
from shequn.joining.services import remove_member
from shequn.members.duplicates import get_duplicate_member_for_user
from shequn.members.models import Member, Membership, MembershipRole, MembershipStatus
from shequn.members.selectors import (
    get_community_membership_for_user,
    get_member_for_user,
    get_visitor_membership,
    list_member_candidates,
    list_memberships,
)
from shequn.members.services import (
    LEADING_ROLES,
    add_membership,
    change_membership_role,
    create_member,
)
from shequn.organizations.forms import (
    PAGE_SIZE,
    ChapterForm,
    CommunityFilterForm,
    CommunityForm,
    ExistingMemberForm,
    LifespanForm,
    MembershipFilterForm,
    NewMemberForm,
    RoleForm,
    SlugSuggestionForm,
    describe_lifespan,
    suggest_slug_from_name,
)
from shequn.organizations.models import KIND_LIFESPANS, Chapter, Community
from shequn.organizations.selectors import (
    get_chapter_for_user,
    get_closing_soon,
    get_community_for_user,
    get_dashboard,
    list_chapter_heads,
    list_chapters,
    list_chapters_with_heads,
    list_communities,
    list_communities_closing_soon,
)
from shequn.organizations.services import (
    archive_community,
    create_chapter,
    create_community,
    dissolve_community,
    propose_ends_at,
    propose_slug,
    restore_community,
    update_chapter,
    update_community,
)

GET_POST = require_http_methods(["GET", "POST"])


# --- helpers -------------------------------------------------------------------------------


def _render_list(
    request: OperatorRequest, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """The whole page, or only its results partial for an htmx filter/page request."""
    is_partial = bool(request.htmx) and not request.htmx.history_restore_request
    response = render(request, partial if is_partial else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _page(
    request: OperatorRequest, queryset: QuerySet[Any], count: int | None = None
) -> WindowPage[Any]:
    """One page without counting the list (shequn.core.pagination); `count` when known."""
    return get_window(queryset, page=request.GET.get("page"), per_page=PAGE_SIZE, count=count)


def _can_create_community(actor: OperatorScope) -> bool:
    return actor.can_manage_organization() or (actor.is_chapter_head and bool(actor.chapter_ids))


def _manageable_chapters(actor: OperatorScope) -> QuerySet[Chapter]:
    """Chapters the actor may put communities in (organisation admins: all of them)."""
    chapters = list_chapters(actor=actor)
    return chapters if actor.is_org_admin else chapters.filter(id__in=actor.chapter_ids)


def _community_form(request: OperatorRequest, **kwargs: Any) -> CommunityForm:
    actor = request.operator_scope
    posted = request.method == "POST"
    return CommunityForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        chapters=_manageable_chapters(actor),
        chapter_required=not actor.is_org_admin,
        **kwargs,
    )


def _community_rights(actor: OperatorScope, community: Community) -> dict[str, bool]:
    can_manage = actor.can_manage_chapter(community.chapter_id)
    return {
        "can_edit": can_manage,
        "can_change_roles": can_manage,
        "can_manage_members": actor.can_manage_members_of(community.pk, community.chapter_id),
    }


def _assignable_roles(actor: OperatorScope, community: Community) -> list[tuple[str, str]]:
    """Roles the actor may hand out here: owner and admin only by chapter heads and admins."""
    leading = actor.can_manage_chapter(community.chapter_id)
    return [
        (value, str(label))
        for value, label in MembershipRole.choices
        if leading or value not in LEADING_ROLES
    ]


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- dashboard and communities -------------------------------------------------------------


@operator_required
@require_GET
def dashboard(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    groups = get_dashboard(actor=actor)
    totals = {
        "communities": sum(len(items) for g in groups for _kind, _label, items in g.kinds),
        "members": sum(g.member_total for g in groups),
    }
    context = {"groups": groups, "totals": totals, "can_create": _can_create_community(actor)}
    context["closing_soon"] = [
        (w, actor.can_manage_chapter(w.community.chapter_id))
        for w in list_communities_closing_soon(actor=actor)
    ]
    return render(request, "organizations/dashboard.html", context)


@operator_required
@require_GET
def community_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    form = CommunityFilterForm(request.GET, chapters=list(list_chapters(actor=actor)))
    communities = list_communities(actor=actor, **form.filters())
    # Communities are few (they do not grow with members): their total is a cheap count.
    page = _page(request, communities, count=communities.count())
    context = {"form": form, "page": page, "can_create": _can_create_community(actor)}
    return _render_list(
        request,
        "organizations/community_list.html",
        "organizations/partials/community_table.html",
        context,
    )


@operator_required
@GET_POST
def community_create(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    actor.require(_can_create_community(actor))
    form = _community_form(request, initial={"chapter": request.GET.get("chapter")})
    suggest_slug_from_name(form, target="community")
    if request.method == "POST" and form.is_valid():
        try:
            community = create_community(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Community “%(name)s” created.") % {"name": community})
            return redirect("organizations:community_detail", community_id=community.pk)
    context = {"form": form, "community": None}
    return render(request, "organizations/community_form.html", context)


@operator_required
@require_GET
def community_lifespan(request: OperatorRequest) -> HttpResponse:
    """The end a kind proposes from a start (htmx refresh of the create form's hint)."""
    form = LifespanForm(request.GET)
    context: dict[str, Any] = {"proposal": None, "lifespan": None}
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        starts_at = form.cleaned_data["starts_at"] or timezone.now()
        context["proposal"] = propose_ends_at(kind=kind, starts_at=starts_at)
        context["lifespan"] = describe_lifespan(KIND_LIFESPANS.get(kind))
    return render(request, "organizations/partials/lifespan.html", context)


@operator_required
@require_GET
def slug_suggestion(request: OperatorRequest) -> HttpResponse:
    """The slug a name proposes (pinyin, made unique), as the create forms' hint (htmx)."""
    form = SlugSuggestionForm(request.GET)
    suggestion = ""
    if form.is_valid() and form.cleaned_data["name"].strip():
        model = Chapter if form.cleaned_data["target"] == "chapter" else Community
        org_id = request.operator_scope.organization.pk
        suggestion = propose_slug(model, org_id=org_id, name=form.cleaned_data["name"])
    context = {"suggestion": suggestion}
    return render(request, "organizations/partials/slug_suggestion.html", context)


@operator_required
@require_GET
def community_detail(request: OperatorRequest, community_id: int) -> HttpResponse:
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    form = MembershipFilterForm(request.GET)
    filters = form.filters()
    memberships = list_memberships(actor=actor, community_id=community.pk, **filters)
    # Unfiltered (active members, any role), the maintained counter is the exact total.
    unfiltered = filters["status"] == MembershipStatus.ACTIVE and not filters["role"]
    count = community.member_count if unfiltered and not filters["q"] else None
    page = _page(request, memberships, count=count)
    context = {
        "community": community,
        "form": form,
        "page": page,
        "roles": MembershipRole.choices,
        "closing_soon": get_closing_soon(community=community),
        **_community_rights(actor, community),
    }
    return _render_list(
        request,
        "organizations/community_detail.html",
        "organizations/partials/membership_table.html",
        context,
    )


@operator_required
@GET_POST
def community_edit(request: OperatorRequest, community_id: int) -> HttpResponse:
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    actor.require(actor.can_manage_chapter(community.chapter_id))
    form = _community_form(request, initial=CommunityForm.initial_for(community), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            community = update_community(actor=actor, community=community, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Community “%(name)s” saved.") % {"name": community})
            return redirect("organizations:community_detail", community_id=community.pk)
    context = {"form": form, "community": community}
    return render(request, "organizations/community_form.html", context)


def _change_status(
    request: OperatorRequest,
    community_id: int,
    service: Callable[..., Community],
    done: str,
) -> HttpResponseBase:
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    try:
        service(actor=actor, community=community)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done % {"name": community})
    return redirect("organizations:community_detail", community_id=community.pk)


@operator_required
@require_POST
def community_archive(request: OperatorRequest, community_id: int) -> HttpResponseBase:
    return _change_status(
        request, community_id, archive_community, _("Community “%(name)s” archived.")
    )


@operator_required
@require_POST
def community_restore(request: OperatorRequest, community_id: int) -> HttpResponseBase:
    return _change_status(
        request, community_id, restore_community, _("Community “%(name)s” restored.")
    )


@operator_required
@require_POST
def community_dissolve(request: OperatorRequest, community_id: int) -> HttpResponseBase:
    return _change_status(
        request, community_id, dissolve_community, _("Community “%(name)s” dissolved.")
    )


# --- members of a community ----------------------------------------------------------------


def _add_member(
    actor: OperatorScope, community: Community, form: ExistingMemberForm | NewMemberForm
) -> Member:
    data = form.cleaned_data
    if isinstance(form, ExistingMemberForm):
        member = get_member_for_user(actor=actor, member_id=data["member_id"])
        add_membership(actor=actor, member=member, community=community, role=data["role"])
        return member
    return create_member(
        actor=actor,
        display_name=data["display_name"],
        phone=data["phone"],
        email=data["email"],
        community=community,
        role=data["role"],
    )


@operator_required
@GET_POST
def community_member_add(request: OperatorRequest, community_id: int) -> HttpResponse:
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    actor.require(actor.can_manage_members_of(community.pk, community.chapter_id))
    roles = _assignable_roles(actor, community)
    action = request.POST.get("action") if request.method == "POST" else None
    existing = ExistingMemberForm(
        request.POST if action == "existing" else None, roles=roles, prefix="existing"
    )
    new = NewMemberForm(request.POST if action == "new" else None, roles=roles, prefix="new")
    form = existing if action == "existing" else new if action == "new" else None
    duplicate = None
    if form is not None and form.is_valid():
        try:
            member = _add_member(actor, community, form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            duplicate = get_duplicate_member_for_user(actor=actor, error=exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": member})
            return redirect("organizations:community_detail", community_id=community.pk)
    q = request.GET.get("q", "")[:100]
    candidates = list_member_candidates(actor=actor, community=community, q=q)
    context = {"community": community, "existing_form": existing, "new_form": new}
    context |= {"q": q, "candidates": candidates, "roles": roles, "duplicate": duplicate}
    if duplicate is not None:  # offer the existing member, with the role chosen for the new one
        context["duplicate_role"] = new.cleaned_data.get("role", MembershipRole.MEMBER)
        present = get_visitor_membership(member=duplicate, community=community)
        context["duplicate_in_community"] = (
            present is not None and present.status == MembershipStatus.ACTIVE
        )
    searching = request.htmx and request.method == "GET"
    partial = "organizations/partials/member_candidates.html"
    return render(request, partial if searching else "organizations/member_add.html", context)


def _membership_row(
    request: OperatorRequest, community: Community, membership: Membership, error: str, notice: str
) -> HttpResponse:
    context = {
        "community": community,
        "m": membership,
        "roles": MembershipRole.choices,
        "row_error": error,
        "row_notice": notice,
        **_community_rights(request.operator_scope, community),
    }
    status = 422 if error else 200
    return render(request, "organizations/partials/membership_row.html", context, status=status)


def _membership_response(
    request: OperatorRequest, community: Community, membership: Membership, error: str, done: str
) -> HttpResponseBase:
    """htmx: the updated row (422 with the reason on failure); otherwise back to the list."""
    notice = "" if error else done % {"name": membership.member}
    if request.htmx:
        return _membership_row(request, community, membership, error, notice)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("organizations:community_detail", community_id=community.pk)


def _community_membership(
    actor: OperatorScope, community_id: int, membership_id: int
) -> tuple[Community, Membership]:
    """A community in the actor's scope and one of its memberships (404 otherwise)."""
    community = get_community_for_user(actor=actor, community_id=community_id)
    membership = get_community_membership_for_user(
        actor=actor, community_id=community.pk, membership_id=membership_id
    )
    return community, membership


@operator_required
@require_POST
def community_member_role(
    request: OperatorRequest, community_id: int, membership_id: int
) -> HttpResponseBase:
    actor = request.operator_scope
    community, membership = _community_membership(actor, community_id, membership_id)
    actor.require(actor.can_manage_chapter(community.chapter_id))
    form = RoleForm(request.POST, roles=MembershipRole.choices)
    error = "" if form.is_valid() else " ".join(str(e) for e in form.errors.get("role", []))
    if not error:
        try:
            role = form.cleaned_data["role"]
            membership = change_membership_role(actor=actor, membership=membership, role=role)
        except ValidationError as exc:
            error = _error_text(exc)
    done = _("The role of %(name)s was changed.")
    return _membership_response(request, community, membership, error, done)


@operator_required
@require_POST
def community_member_remove(
    request: OperatorRequest, community_id: int, membership_id: int
) -> HttpResponseBase:
    actor = request.operator_scope
    community, membership = _community_membership(actor, community_id, membership_id)
    error = ""
    try:  # with the reason (required): shequn.joining.services.remove_member
        membership = remove_member(
            actor=actor, membership=membership, reason=request.POST.get("reason", "")[:500]
        )
    except ValidationError as exc:
        error = _error_text(exc)
    done = _("%(name)s was removed from the community.")
    return _membership_response(request, community, membership, error, done)


# --- chapters ------------------------------------------------------------------------------


@operator_required
@require_GET
def chapter_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    context = {
        "chapters": list_chapters_with_heads(actor=actor),
        "can_manage": actor.can_manage_organization(),
    }
    return render(request, "organizations/chapter_list.html", context)


@operator_required
@require_GET
def chapter_detail(request: OperatorRequest, chapter_id: int) -> HttpResponse:
    actor = request.operator_scope
    chapter = get_chapter_for_user(actor=actor, chapter_id=chapter_id)
    context = {
        "chapter": chapter,
        "heads": list_chapter_heads(chapter=chapter),
        "communities": list_communities(actor=actor, chapter_id=chapter.pk),
        "can_manage": actor.can_manage_organization(),
        "can_create": actor.can_manage_chapter(chapter.pk),
    }
    return render(request, "organizations/chapter_detail.html", context)


@operator_required
@GET_POST
def chapter_create(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    actor.require(actor.can_manage_organization())
    form = ChapterForm(request.POST if request.method == "POST" else None)
    suggest_slug_from_name(form, target="chapter")
    if request.method == "POST" and form.is_valid():
        try:
            chapter = create_chapter(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Chapter “%(name)s” created.") % {"name": chapter})
            return redirect("organizations:chapter_detail", chapter_id=chapter.pk)
    return render(request, "organizations/chapter_form.html", {"form": form, "chapter": None})


@operator_required
@GET_POST
def chapter_edit(request: OperatorRequest, chapter_id: int) -> HttpResponse:
    actor = request.operator_scope
    chapter = get_chapter_for_user(actor=actor, chapter_id=chapter_id)
    actor.require(actor.can_manage_organization())
    initial = {name: getattr(chapter, name) for name in ("name", "slug", "city", "intro")}
    form = ChapterForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            chapter = update_chapter(actor=actor, chapter=chapter, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Chapter “%(name)s” saved.") % {"name": chapter})
            return redirect("organizations:chapter_detail", chapter_id=chapter.pk)
    return render(request, "organizations/chapter_form.html", {"form": form, "chapter": chapter})
