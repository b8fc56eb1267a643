"""Jobs of tags (docs/jobs.md): apply a rule tag that was just switched on (or whose rule
changed) to every member. Safe to run twice: the rule rows are brought in line with the rule,
so a second run changes nothing. Afterwards the recompute (shequn.profiles.recompute) keeps
every switched-on rule tag current."""

from __future__ import annotations

import logging

from huey.contrib.djhuey import db_task

from shequn.tags import services

logger = logging.getLogger(__name__)


@db_task()  # type: ignore[untyped-decorator]  # huey has no types
def apply_rule_tag(tag_id: int) -> int:
    """Apply one switched-on rule tag to every member; how many rows changed."""
    counts = services.apply_rule_tag_to_everyone(tag_id=tag_id)
    if counts is None:
        return 0
    logger.info(
        "Rule tag %s applied: %d members tagged, %d untagged.",
        tag_id,
        counts.added,
        counts.removed,
    )
    return counts.added + counts.removed
