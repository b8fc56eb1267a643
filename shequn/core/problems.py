"""Errors of the JSON API as RFC 9457 problem details (`application/problem+json`).

Every error answer has `type`, `title`, `status` and `detail`; validation errors (422) also
list `errors: [{"loc": [...], "msg": "..."}]`, one per field; a conflict with an existing member
(409) names it in `existing_id`. Titles and messages are translated into the language of the
request (LocaleMiddleware: Accept-Language). Every exception of an API view ends here: an
unexpected one is logged with its traceback and answered with a 500 problem, never an HTML page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.parser import Parser

if TYPE_CHECKING:
    from ninja import NinjaAPI

PROBLEM_CONTENT_TYPE = "application/problem+json"
# The type of every problem: no semantics beyond the status code (RFC 9457, section 4.2.1).
PROBLEM_TYPE = "about:blank"
# Names the services use for related objects, as the API spells them in request bodies.
FIELD_ALIASES = {"chapter": "chapter_id", "community": "community_id", "member": "member_id"}
# Codes of service ValidationErrors that are a conflict with the current state (409, not 422):
# what a second, sequential attempt (or the loser of a race) gets.
CONFLICT_CODES = frozenset({"already_member", "already_ended", "duplicate_member"})

logger = logging.getLogger("shequn.api")

ErrorItem = dict[str, Any]

# The JSON schema of every problem document (components.schemas.Problem of the OpenAPI).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "Always `about:blank`."},
        "title": {"type": "string", "description": "A short summary of the kind of error."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "errors": {
            "type": "array",
            "description": "422: one entry per invalid field.",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                },
            },
        },
        "existing_id": {
            "type": "integer",
            "description": "409 `duplicate_member`: the id of the member who has this phone "
            "or email already.",
        },
    },
}
PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_DESCRIPTIONS = {
    400: "Bad request.",
    401: "No API token, or an unknown or revoked one.",
    403: "The token's operator may not do this.",
    404: "Not found in the token's scope (or does not exist).",
    405: "Method not allowed.",
    409: "Conflicts with the current state: already a member, membership already ended, or "
    "a member with this phone or email exists (`existing_id`).",
    413: "The request body is too large.",
    422: "Invalid input; `errors` lists each invalid field.",
    429: "Too many requests; retry later.",
}
# Every operation can meet these: a missing or bad token, and the rate limit.
ALWAYS_DOCUMENTED = (401, 429)


def problem_responses(*statuses: int) -> dict[str, Any]:
    """`openapi_extra` of an operation: its error answers, each a Problem document."""
    return {
        "responses": {
            status: {
                "description": PROBLEM_DESCRIPTIONS[status],
                "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
            }
            for status in sorted({*ALWAYS_DOCUMENTED, *statuses})
        }
    }


class MalformedBodyError(ValueError):
    """The request body is not valid JSON."""


class InvalidTokenError(AuthenticationError):
    """An `Authorization: Bearer` token that is unknown, revoked or of a switched-off account."""


class JsonBodyParser(Parser):
    """The JSON parser, failing with MalformedBodyError so that the answer is a 422."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedBodyError(str(exc)) from exc
        return data


def problem_response(
    *,
    status: int,
    title: str,
    detail: str,
    errors: list[ErrorItem] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type=f"{PROBLEM_CONTENT_TYPE}; charset=utf-8",
        headers=headers,
    )
    return response


def _validation_problem(errors: list[ErrorItem]) -> HttpResponse:
    detail = errors[0]["msg"] if len(errors) == 1 else _("The request has invalid fields.")
    return problem_response(status=422, title=_("Invalid input"), detail=detail, errors=errors)


def _schema_message(error: dict[str, Any]) -> str:
    """A translated message for one pydantic error (pydantic's own are English only)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_long":
        return _("Ensure this value has at most %(max)s characters.") % {
            "max": ctx.get("max_length")
        }
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return _("This field cannot be empty.")
        return _("Ensure this value has at least %(min)s characters.") % {
            "min": ctx.get("min_length")
        }
    if kind in {"enum", "literal_error"}:
        return _("Unknown value. Expected %(expected)s.") % {"expected": ctx.get("expected")}
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"greater_than_equal", "greater_than"}:
        limit = ctx.get("ge", ctx.get("gt"))
        return _("Ensure this value is at least %(limit)s.") % {"limit": limit}
    if kind in {"less_than_equal", "less_than"}:
        limit = ctx.get("le", ctx.get("lt"))
        return _("Ensure this value is at most %(limit)s.") % {"limit": limit}
    if kind.startswith("datetime") or kind.startswith("date"):
        return _("Enter a valid date and time (ISO 8601).")
    if kind in {"string_type", "string_unicode"}:
        return _("Enter a text value.")
    if kind in {"bool_parsing", "bool_type"}:
        return _("Enter true or false.")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return _("Send a JSON object.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return str(error.get("msg", ""))


def _schema_loc(loc: Iterable[Any]) -> list[str | int]:
    """ninja's loc, without the name of the view argument a body schema arrives in."""
    parts = list(loc)
    if len(parts) >= 2 and parts[0] == "body":
        parts = [parts[0], *parts[2:]]
    return [p if isinstance(p, int) else str(p) for p in parts]


def schema_errors(exc: SchemaValidationError) -> list[ErrorItem]:
    return [{"loc": _schema_loc(e.get("loc", ())), "msg": _schema_message(e)} for e in exc.errors]


def django_errors(exc: DjangoValidationError) -> list[ErrorItem]:
    """Field-keyed errors of a service as [{loc, msg}], non-field errors at ["body"]."""
    if not hasattr(exc, "error_dict"):
        return [{"loc": ["body"], "msg": str(message)} for message in exc.messages]
    errors: list[ErrorItem] = []
    for field, messages in exc.message_dict.items():
        loc: list[str | int] = ["body"]
        if field != NON_FIELD_ERRORS:
            loc.append(FIELD_ALIASES.get(field, field))
        errors.extend({"loc": list(loc), "msg": str(message)} for message in messages)
    return errors


def _on_schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    return _validation_problem(schema_errors(exc))


def _leaf_errors(exc: DjangoValidationError) -> Iterator[DjangoValidationError]:
    if hasattr(exc, "error_dict"):
        for errors in exc.error_dict.values():
            yield from errors
    else:
        yield from exc.error_list


def _on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    conflicts = [e for e in _leaf_errors(exc) if e.code in CONFLICT_CODES]
    if conflicts:
        params = conflicts[0].params or {}
        extra = {"existing_id": params["existing_id"]} if "existing_id" in params else None
        message = conflicts[0].message % params if params else conflicts[0].message
        return problem_response(
            status=409, title=_("Conflict"), detail=str(message), errors=None, extra=extra
        )
    return _validation_problem(django_errors(exc))


def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or _("Your account is not allowed to do this.")
    return problem_response(status=403, title=_("Permission denied"), detail=detail)


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    detail = str(exc) or _("The requested object does not exist.")
    return problem_response(status=404, title=_("Not found"), detail=detail)


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, MalformedBodyError):
        return _validation_problem([{"loc": ["body"], "msg": _("The body is not valid JSON.")}])
    if isinstance(exc, AuthenticationError):
        detail = (
            _("This API token is unknown or revoked.")
            if isinstance(exc, InvalidTokenError)
            else _("Send your API token in the header 'Authorization: Bearer <token>'.")
        )
        return problem_response(
            status=401,
            title=_("Authentication required"),
            detail=detail,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return problem_response(status=exc.status_code, title=_("Error"), detail=str(exc))


def _on_request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return problem_response(
        status=413,
        title=_("Request too large"),
        detail=_("The request body is larger than %(limit)s bytes.") % {"limit": limit},
    )


def _on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return problem_response(
        status=400, title=_("Bad request"), detail=_("The request could not be understood.")
    )


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("API error: %s %s", request.method, request.path, exc_info=exc)
    return problem_response(
        status=500,
        title=_("Server error"),
        detail=_("Something went wrong on our side. It was logged; please try again later."),
    )


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """An API path that does not exist."""
    return problem_response(
        status=404, title=_("Not found"), detail=_("There is no such API endpoint.")
    )


def method_not_allowed(response: HttpResponseNotAllowed) -> HttpResponse:
    """The 405 of a ninja path, as a problem, keeping its Allow header."""
    allow = ", ".join(sorted(m.strip() for m in response["Allow"].split(",")))
    return problem_response(
        status=405,
        title=_("Method not allowed"),
        detail=_("Allowed methods: %(methods)s.") % {"methods": allow},
        headers={"Allow": allow},
    )


def install_problem_handlers(api: NinjaAPI) -> None:
    """Answer every expected error of `api` with a problem document."""
    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (Exception, _on_unexpected),
        (SuspiciousOperation, _on_suspicious),
        (RequestDataTooBig, _on_request_too_big),
        (SchemaValidationError, _on_schema_error),
        (DjangoValidationError, _on_django_validation_error),
        (PermissionDenied, _on_permission_denied),
        (Http404, _on_not_found),
        (HttpError, _on_http_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
