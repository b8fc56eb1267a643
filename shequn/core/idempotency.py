"""The `Idempotency-Key` header of the API's creating endpoints (`POST /applications`,
`POST /orders`): the same key again returns what the first request made (200) instead of
making a second one (201).

Keys are stored as "api:<key>" in the rows' 64-character `idempotency_key` column (the member
pages use other prefixes), so a key has at most 60 characters; a longer one is a 422.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

IDEMPOTENCY_HEADER = "Idempotency-Key"
PREFIX = "api:"
IDEMPOTENCY_KEY_MAX_LENGTH = 64 - len(PREFIX)


def idempotency_openapi(what: str) -> dict[str, Any]:
    """`openapi_extra` of an endpoint that takes the header; `what` names what it returns."""
    return {
        "parameters": [
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
                "description": f"The same key again returns the first {what} (200).",
            }
        ],
    }


def idempotency_key(request: HttpRequest) -> str:
    """The request's key as stored ("api:<key>"), or "" without one; ValidationError (422)
    for a key longer than IDEMPOTENCY_KEY_MAX_LENGTH."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationError(
            {
                IDEMPOTENCY_HEADER: _("At most %(max)s characters.")
                % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}
            }
        )
    return f"{PREFIX}{key}" if key else ""
