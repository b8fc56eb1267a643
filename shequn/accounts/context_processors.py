from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from shequn.accounts.selectors import OperatorScope, get_operator_scope


def operator_scope(request: HttpRequest) -> dict[str, OperatorScope | None]:
    """Expose the signed-in operator's scope to templates as `scope` (None for others)."""
    scope = getattr(request, "operator_scope", None)
    if scope is None and getattr(request, "user", None) is not None:
        try:
            scope = get_operator_scope(request.user)
        except PermissionDenied:
            scope = None
    return {"scope": scope}
