"""Writes of layers: an organisation's rules per community kind (docs/layers.md). The layers
themselves are written by shequn.layers.compute."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.core.forms import whole_numbers
from shequn.layers.models import LayerMode, LayerRules
from shequn.organizations.models import CommunityKind

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

NUMBER_FIELDS: dict[str, tuple[int, int]] = {
    "new_days": (0, 365),
    "window_days": (1, 365),
    "core_top_percent": (1, 100),
    "core_min_active_weeks": (0, 4),
    "active_min_score": (1, 1_000_000),
    "active_band_percent": (0, 100),
    "lurker_min_member_days": (0, 3650),
    "lurker_silent_days": (1, 365),
    "dormant_days": (1, 730),
}
RULE_FIELDS = ("mode", *NUMBER_FIELDS)


def save_layer_rules(
    *, actor: OperatorScope, community_kind: str, data: Mapping[str, Any]
) -> LayerRules:
    """Save the layer rules of one community kind (organisation admins); layers follow at the
    next recompute. ValidationError by field, nothing saved, on bad input."""
    actor.require(actor.is_org_admin)
    if community_kind not in CommunityKind.values:
        raise ValidationError({"community_kind": _("Choose a community kind.")})
    numbers, errors = whole_numbers(data, NUMBER_FIELDS)
    values: dict[str, Any] = {"mode": data.get("mode") or LayerMode.THRESHOLDS, **numbers}
    if values["mode"] not in LayerMode.values:
        errors["mode"] = _("Choose fixed thresholds or percentile bands.")
    if not errors and values["core_top_percent"] + values["active_band_percent"] > 100:
        errors["active_band_percent"] = _("The core and active bands together exceed 100%.")
    if not errors and values["dormant_days"] < values["lurker_silent_days"]:
        errors["dormant_days"] = _(
            "Dormant means silent longer than a lurker: at least the lurker's days."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rules, _created = LayerRules.objects.select_for_update().get_or_create(
            organization=actor.organization, community_kind=community_kind
        )
        before = {name: getattr(rules, name) for name in RULE_FIELDS}
        for name, value in values.items():
            setattr(rules, name, value)
        rules.save()
        changes = {n: [before[n], values[n]] for n in RULE_FIELDS if before[n] != values[n]}
        if changes:
            record_audit(actor=actor, action=AuditAction.UPDATE, target=rules, changes=changes)
    return rules
