"""Console pages of layers (docs/layers.md): a community's layer distribution and the members
of a layer; the rules of each community kind."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.layers import selectors, services
from shequn.layers.compute import rules_by_kind
from shequn.layers.forms import LayerRulesForm
from shequn.layers.models import Layer
from shequn.organizations.models import CommunityKind
from shequn.organizations.selectors import get_community_for_user

PER_PAGE = 25


@operator_required
@require_GET
def community_layers(request: OperatorRequest, community_id: int) -> HttpResponse:
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    layer = request.GET.get("layer", "")
    layer = layer if layer in Layer.values else ""
    page = None
    if layer:
        rows = selectors.list_layer_members(community=community, layer=layer)
        page = get_window(rows, page=request.GET.get("page"), per_page=PER_PAGE)
    context = {
        "community": community,
        "shares": selectors.layer_distribution(community=community),
        "layer": layer,
        "layer_label": dict(Layer.choices).get(layer, ""),
        "page": page,
    }
    return render(request, "layers/community.html", context)


@operator_required
@require_http_methods(["GET", "POST"])
def rules(request: OperatorRequest, kind: str = CommunityKind.REGIONAL) -> HttpResponse:
    actor = request.operator_scope
    actor.require(actor.is_org_admin)
    if kind not in CommunityKind.values:
        raise Http404(_("No such community kind."))
    current = rules_by_kind(actor.organization)[kind]
    form = LayerRulesForm(request.POST if request.method == "POST" else None, instance=current)
    status = 200
    if request.method == "POST":
        try:
            services.save_layer_rules(actor=actor, community_kind=kind, data=request.POST)
        except ValidationError as exc:
            form.is_valid()
            add_service_errors(form, exc)
            status = 422
        else:
            messages.success(
                request, _("The layer rules were saved. Layers follow at the next recompute.")
            )
            return redirect("layers:rules_kind", kind=kind)
    context = {"form": form, "kind": kind, "kinds": CommunityKind.choices}
    return render(request, "layers/rules.html", context, status=status)
