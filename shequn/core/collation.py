"""Sort keys that put Chinese names in pinyin order on SQLite and PostgreSQL alike.

The database sorts by code point, which scatters Chinese names (张 before 李 only by accident).
Services store `sort_key_for(name)` next to each name and lists order by that column, which is
indexed: the same order on both databases, without ICU collations.
"""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

SORT_KEY_MAX_LENGTH = 255


def sort_key_for(name: str) -> str:
    """Lower-case pinyin syllables (Latin text kept, case-folded), then the name itself.

    `"张伟"` → `"zhang wei\\x01张伟"`: names with the same reading stay together, and ties are
    broken by the characters so the order is total and stable. The separator \\x01 sorts
    below every printable character (PostgreSQL text cannot hold \\x00).
    """
    text = name.strip().casefold()
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: chars)
    reading = " ".join(s.strip() for s in syllables if s.strip())
    return f"{reading}\x01{text}"[:SORT_KEY_MAX_LENGTH]
