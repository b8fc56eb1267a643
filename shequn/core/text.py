"""Names as people type them, without the invisible characters that do not belong in a name.

`clean_name` is what the services store for every name (member and identity display names,
community and chapter names): line breaks and tabs become a space; other control characters
(Unicode category Cc) and format characters (Cf: bidirectional overrides, zero-width spaces,
byte-order marks, soft hyphens…) are removed, except the zero-width joiner and non-joiner
(U+200D, U+200C) that emoji sequences and some scripts need; runs of spaces become one and the
ends are trimmed.
"""

from __future__ import annotations

import re
import unicodedata

KEPT_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})
_SPACES = re.compile(r"[ \t\n\r\f\v\u0085\u2028\u2029]+")


def _keep(char: str) -> bool:
    category = unicodedata.category(char)
    if category == "Cc":
        return False
    return category != "Cf" or char in KEPT_FORMAT_CHARACTERS


def clean_name(value: str) -> str:
    """`value` with whitespace collapsed and control/format characters removed (see above)."""
    spaced = _SPACES.sub(" ", value)
    return "".join(char for char in spaced if _keep(char)).strip()
