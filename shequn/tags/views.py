"""Console pages of tags (docs/tags.md): the tag list by group, tag groups, tags set by hand,
rule tags with a preview before they are switched on, a tag's members, deleting a tag that
segments use, and the member page's tags panel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.members.selectors import get_member_for_user
from shequn.tags import selectors, services
from shequn.tags.forms import (
    RuleParamsForm,
    RuleTagForm,
    TagForm,
    TagGroupForm,
    rule_initial,
    tag_data,
    tag_initial,
)
from shequn.tags.models import RuleType, Tag, TagGroup
from shequn.tags.templatetags.tag_panels import member_panel_context

PER_PAGE = 25  # as every console list


def _admin(request: OperatorRequest) -> None:
    request.operator_scope.require(selectors.can_manage_tags(request.operator_scope))


@operator_required
@require_GET
def tag_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    groups = list(selectors.list_tag_groups(actor=actor))
    tags = list(selectors.list_tags(actor=actor))
    by_group: dict[int | None, list[Tag]] = {}
    for tag in tags:
        by_group.setdefault(tag.group_id, []).append(tag)
    sections: list[tuple[TagGroup | None, list[Tag]]] = [
        (group, by_group.get(group.pk, [])) for group in groups
    ]
    if by_group.get(None):
        sections.append((None, by_group[None]))
    context = {
        "sections": sections,
        "can_manage": selectors.can_manage_tags(actor),
        "rule_types": RuleType.choices,
    }
    return render(request, "tags/list.html", context)


@operator_required
@require_http_methods(["GET", "POST"])
def group_create(request: OperatorRequest) -> HttpResponse:
    _admin(request)
    form = TagGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.create_tag_group(actor=request.operator_scope, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The tag group %(name)s was created.") % {"name": group})
            return redirect("tags:list")
    return render(request, "tags/group_form.html", {"form": form, "group": None})


@operator_required
@require_http_methods(["GET", "POST"])
def group_edit(request: OperatorRequest, group_id: int) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    group = selectors.get_tag_group_for_user(actor=actor, group_id=group_id)
    initial = {"name": group.name, "colour": group.colour, "position": group.position}
    form = TagGroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_tag_group(actor=actor, group=group, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The tag group was saved."))
            return redirect("tags:list")
    return render(request, "tags/group_form.html", {"form": form, "group": group})


@operator_required
@require_POST
def group_delete(request: OperatorRequest, group_id: int) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    group = selectors.get_tag_group_for_user(actor=actor, group_id=group_id)
    try:
        services.delete_tag_group(actor=actor, group=group)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("tags:group_edit", group_id=group.pk)
    messages.success(request, _("The tag group %(name)s was deleted.") % {"name": group})
    return redirect("tags:list")


@operator_required
@require_http_methods(["GET", "POST"])
def tag_create(request: OperatorRequest) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    form = TagForm(
        request.POST or None, actor=actor, initial={"group_id": request.GET.get("group")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.create_tag(actor=actor, **tag_data(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The tag %(name)s was created.") % {"name": tag})
            return redirect("tags:list")
    return render(request, "tags/tag_form.html", {"form": form, "tag": None})


def _rule_type(request: OperatorRequest, default: str) -> str:
    raw = request.POST.get("rule_type") or request.GET.get("type") or default
    return raw if raw in RuleType.values else RuleType.KEYWORD


def _rule_page(
    request: OperatorRequest, form: RuleTagForm, tag: Tag | None, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "tag": tag,
        "rule_types": RuleType.choices,
        "rule_type": form.rule_kind,
    }
    return render(request, "tags/rule_form.html", context, status=status)


@operator_required
@require_http_methods(["GET", "POST"])
def rule_create(request: OperatorRequest) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    rule_type = _rule_type(request, RuleType.KEYWORD)
    form = RuleTagForm(
        request.POST or None,
        actor=actor,
        rule_type=rule_type,
        initial={"group_id": request.GET.get("group")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.create_rule_tag(
                actor=actor, rule_type=rule_type, params=form.params(), **tag_data(form)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The rule tag %(name)s was created, switched off. Preview it, then switch it on.")
                % {"name": tag},
            )
            return redirect("tags:detail", tag_id=tag.pk)
    return _rule_page(request, form, None)


@operator_required
@require_http_methods(["GET", "POST"])
def tag_edit(request: OperatorRequest, tag_id: int) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    data = request.POST or None
    form: TagForm | RuleTagForm
    if tag.is_rule:
        rule_type = _rule_type(request, tag.rule_type)
        initial = tag_initial(tag) | rule_initial(
            rule_type, tag.rule if rule_type == tag.rule_type else {}
        )
        link_id = tag.rule.get("invite_link_id") if tag.rule_type == RuleType.INVITE_LINK else None
        form = RuleTagForm(data, actor=actor, rule_type=rule_type, initial=initial, link_id=link_id)
    else:
        form = TagForm(data, actor=actor, initial=tag_initial(tag))
    if request.method == "POST" and form.is_valid():
        changes = tag_data(form)
        if isinstance(form, RuleTagForm):
            changes |= {"rule_type": form.rule_kind, "rule": form.params()}
        try:
            services.update_tag(actor=actor, tag=tag, data=changes)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The tag was saved."))
            return redirect("tags:detail", tag_id=tag.pk)
    if isinstance(form, RuleTagForm):
        return _rule_page(request, form, tag)
    return render(request, "tags/tag_form.html", {"form": form, "tag": tag})


def _preview(request: OperatorRequest, rule_type: str, params: dict[str, Any]) -> HttpResponse:
    context: dict[str, Any] = {"errors": []}
    try:
        preview = selectors.preview_tag_rule(
            actor=request.operator_scope, rule_type=rule_type, params=params
        )
    except ValidationError as exc:
        context["errors"] = exc.messages
        status = 422
    else:
        context |= {
            "count": preview.count,
            "examples": preview.examples,
            "capped": preview.capped,
            "messages_read": preview.messages_read,
        }
        status = 200
    template = "tags/partials/preview.html" if request.htmx else "tags/preview_page.html"
    return render(request, template, context, status=status)


@operator_required
@require_POST
def rule_preview(request: OperatorRequest) -> HttpResponse:
    """The rule form's Preview button (htmx): the rule as entered, not saved."""
    _admin(request)
    rule_type = _rule_type(request, RuleType.KEYWORD)
    form = RuleParamsForm(request.POST, actor=request.operator_scope, rule_type=rule_type)
    if not form.is_valid():
        errors = [str(m) for field in form.errors.values() for m in field]
        template = "tags/partials/preview.html" if request.htmx else "tags/preview_page.html"
        return render(request, template, {"errors": errors}, status=422)
    return _preview(request, rule_type, form.params())


@operator_required
@require_POST
def tag_preview(request: OperatorRequest, tag_id: int) -> HttpResponse:
    """A saved rule tag's Preview button (htmx): who its rule would tag now."""
    _admin(request)
    tag = selectors.get_tag_for_user(actor=request.operator_scope, tag_id=tag_id)
    if not tag.is_rule:
        return _preview(request, "", {})
    return _preview(request, tag.rule_type, tag.rule)


@operator_required
@require_POST
def tag_activate(request: OperatorRequest, tag_id: int) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    try:
        services.activate_rule_tag(actor=actor, tag=tag)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The rule of %(name)s is on: its members are being tagged in the background.")
            % {"name": tag},
        )
    return redirect("tags:detail", tag_id=tag.pk)


@operator_required
@require_POST
def tag_deactivate(request: OperatorRequest, tag_id: int) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    try:
        services.deactivate_rule_tag(actor=actor, tag=tag)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The rule of %(name)s is off: nobody has the tag now.") % {"name": tag}
        )
    return redirect("tags:detail", tag_id=tag.pk)


@operator_required
@require_GET
def tag_detail(request: OperatorRequest, tag_id: int) -> HttpResponse:
    actor = request.operator_scope
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    order = request.GET.get("order", "newest")
    order = order if order in selectors.TAG_MEMBER_ORDERS else "newest"
    rows = selectors.list_tag_members(actor=actor, tag=tag, order=order)
    page = get_window(rows, page=request.GET.get("page"), per_page=PER_PAGE)
    context = {
        "tag": tag,
        "page": page,
        "rows": selectors.tag_member_rows(page),
        "order": order,
        "rule_lines": selectors.describe_rule(tag) if tag.is_rule else [],
        "can_manage": selectors.can_manage_tags(actor),
    }
    return render(request, "tags/detail.html", context)


@operator_required
@require_http_methods(["GET", "POST"])
def tag_delete(request: OperatorRequest, tag_id: int) -> HttpResponse:
    """Ask first; a tag that segments use is deleted only when the operator confirms."""
    from shequn.segments.selectors import list_segments_using_tag

    _admin(request)
    actor = request.operator_scope
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    if request.method == "POST":
        try:
            changed = services.delete_tag(
                actor=actor, tag=tag, confirm=request.POST.get("confirm") == "1"
            )
        except services.TagInUseError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            text = _("The tag %(name)s was deleted.") % {"name": tag}
            if changed:
                text += " " + _("It was taken out of the filters of %(n)d segments.") % {
                    "n": changed
                }
            messages.success(request, text)
            return redirect("tags:list")
    segments = list_segments_using_tag(tag=tag)
    return render(request, "tags/delete.html", {"tag": tag, "segments": segments})


# --- the member page's panel ----------------------------------------------------------------


def _panel(
    request: OperatorRequest, member_id: int, error: str = "", done: str = ""
) -> HttpResponse:
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif done:
            messages.success(request, done)
        return redirect("members:detail", member_id=member_id)
    member = get_member_for_user(actor=request.operator_scope, member_id=member_id)
    context = member_panel_context(request.operator_scope, member) | {"error": error}
    return render(
        request, "tags/partials/member_panel_body.html", context, status=422 if error else 200
    )


@operator_required
@require_POST
def member_tag_add(request: OperatorRequest, member_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    raw = request.POST.get("tag_id", "")
    if not raw.isdigit() or len(raw) > 18:
        return _panel(request, member.pk, error=_("Choose a tag."))
    tag = selectors.get_tag_for_user(actor=actor, tag_id=int(raw))
    try:
        services.tag_member(actor=actor, tag=tag, member=member)
    except ValidationError as exc:
        return _panel(request, member.pk, error=" ".join(exc.messages))
    return _panel(request, member.pk, done=_("Tagged %(tag)s.") % {"tag": tag})


@operator_required
@require_POST
def member_tag_remove(request: OperatorRequest, member_id: int, tag_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    try:
        services.untag_member(actor=actor, tag=tag, member=member)
    except ValidationError as exc:
        return _panel(request, member.pk, error=" ".join(exc.messages))
    return _panel(request, member.pk, done=_("The tag %(tag)s was removed.") % {"tag": tag})
