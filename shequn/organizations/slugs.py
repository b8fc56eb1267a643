"""Slugs proposed from a (Chinese) name: "上海沙龙群" → "shanghai-shalong-qun"."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.text import slugify
from pypinyin import Style, lazy_pinyin
from pypinyin.seg.mmseg import seg

from shequn.organizations.models import SLUG_MAX_LENGTH

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Room kept for a numeric suffix ("-2" … "-999") when the proposal is taken.
_SUFFIX_ROOM = 4


def slug_from_name(name: str, *, fallback: str) -> str:
    """A lower-case ASCII slug from `name`: tone-less pinyin, one word per Chinese word.

    Latin letters and digits are kept; everything else separates words. Cut at a hyphen so it
    fits SLUG_MAX_LENGTH with room for a suffix. `fallback` when nothing usable is left.
    """
    words: list[str] = []
    for token in seg.cut(name):
        if _HAN.search(token):
            words.append(" ")
            words.append("".join(lazy_pinyin(token, style=Style.NORMAL, errors="ignore")))
            words.append(" ")
        else:
            words.append(token)
    slug = slugify("".join(words))
    limit = SLUG_MAX_LENGTH - _SUFFIX_ROOM
    if len(slug) > limit:
        cut = slug[:limit]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug.strip("-") or fallback


def first_free_slug(base: str, *, is_taken: Callable[[str], bool]) -> str:
    """`base`, or `base-2`, `base-3`… : the first that `is_taken` does not refuse."""
    if not is_taken(base):
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = f"{base[: SLUG_MAX_LENGTH - len(suffix)]}{suffix}"
        if not is_taken(candidate):
            return candidate
        n += 1
