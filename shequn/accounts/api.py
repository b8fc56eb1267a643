"""API token authentication (`Authorization: Bearer <token>`) and `/me`."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja import Router
from ninja.security import HttpBearer

from shequn.accounts.schemas import MeOut
from shequn.accounts.selectors import OperatorScope, get_scope_for_token
from shequn.accounts.services import touch_api_token
from shequn.core.problems import InvalidTokenError, problem_responses
from shequn.core.ratelimit import RateLimitedError, record_hit, retry_after

router = Router(tags=["me"])


class ApiTokenAuth(HttpBearer):
    """A personal API token; the request then acts with exactly its operator's scope.

    Invalid tokens count per client address (SHEQUN_RATE_LIMITS["api_token_failure"]); an
    address over the limit gets 429 for the rest of the window, without its token being looked at.
    """

    def authenticate(self, request: HttpRequest, token: str) -> OperatorScope:
        wait = retry_after("api_token_failure", request)
        if wait is not None:
            raise RateLimitedError(wait)
        found = get_scope_for_token(token)
        if found is None:
            record_hit("api_token_failure", request)
            raise InvalidTokenError()
        scope, api_token = found
        touch_api_token(token=api_token)
        return scope


def actor_of(request: HttpRequest) -> OperatorScope:
    """The scope of the token the request was authenticated with."""
    return cast(OperatorScope, request.auth)  # type: ignore[attr-defined]


@router.get("/me", response=MeOut, openapi_extra=problem_responses())
def me(request: HttpRequest) -> dict[str, Any]:
    """The operator account of the token: role, organisation and the scope it acts in."""
    actor = actor_of(request)
    return {
        "username": actor.user.get_username(),
        "role": actor.role,
        "organization": actor.organization,
        "chapter_ids": sorted(actor.chapter_ids),
        "community_ids": sorted(actor.community_ids),
    }
