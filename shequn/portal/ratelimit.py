"""Per-account limits of the member pages' forms (the per-address ones: rate_limit_post)."""

from __future__ import annotations

import hashlib
import math
import time
from typing import TYPE_CHECKING

from django.core.cache import cache

from shequn.core.ratelimit import get_rate

if TYPE_CHECKING:
    from shequn.members.models import Member


def over_account_limit(name: str, member: Member) -> int | None:
    """Count one POST of `member` against the limit `name` (SHEQUN_RATE_LIMITS); the seconds
    to wait when it is over the limit, None while it is not."""
    rate = get_rate(name)
    now = time.time()
    window = int(now // rate.seconds)
    left = max(1, math.ceil((window + 1) * rate.seconds - now))
    who = hashlib.sha256(f"member:{member.pk}".encode()).hexdigest()[:32]
    key = f"shequn:rate:{name}-account:{who}:{window}"
    if cache.add(key, 1, timeout=left + 1):
        return None if rate.limit >= 1 else left
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=left + 1)
        return None
    return left if count > rate.limit else None
