"""Layer counts per community (`LayerCount`), for the distribution pages; counted again in one
GROUP BY after each recompute."""

from __future__ import annotations

import datetime

from django.utils import timezone

from shequn.core.sqlsets import execute
from shequn.organizations.models import Organization


def refresh_layer_counts(organization: Organization, at: datetime.datetime | None = None) -> None:
    """Count every community's members per layer again; call inside a transaction."""
    at = at or timezone.now()
    execute("DELETE FROM layers_layercount WHERE organization_id = %s", [organization.pk])
    execute(
        """INSERT INTO layers_layercount (community_id, organization_id, layer, members,
          counted_at)
        SELECT l.community_id, %s, l.layer, COUNT(*), %s FROM layers_membershiplayer l
        WHERE l.organization_id = %s GROUP BY l.community_id, l.layer""",
        [organization.pk, at, organization.pk],
    )
