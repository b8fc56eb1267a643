"""Helpers for the API tests: JSON requests and problem+json assertions."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.test import Client

API = "/api/v1"
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def send(client: Client, method: str, path: str, data: Any = None, **extra: Any) -> HttpResponse:
    """A request to the API; `data` is sent as JSON, a str as the raw body.

    Messages are asked for in English (tests compare them) unless `HTTP_ACCEPT_LANGUAGE` says.
    """
    extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    body = data if isinstance(data, str) else (json.dumps(data) if data is not None else "")
    call = getattr(client, method.lower())
    if method.upper() == "GET":
        return call(API + path, data or {}, **extra)
    return call(API + path, body, content_type="application/json", **extra)


def body(response: HttpResponse) -> Any:
    return json.loads(response.content)


def ids(response: HttpResponse) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in body(response)["items"]]


def assert_problem(response: HttpResponse, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status`; returns the document."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json; charset=utf-8"
    document: dict[str, Any] = body(response)
    assert set(document) >= PROBLEM_KEYS
    assert document["status"] == status
    assert document["type"] == "about:blank"
    assert document["title"]
    assert document["detail"]
    if status == 422:
        assert document["errors"]
        assert all(set(e) == {"loc", "msg"} and e["msg"] for e in document["errors"])
    return document


def error_locs(response: HttpResponse) -> list[list[Any]]:
    return [e["loc"] for e in assert_problem(response, 422)["errors"]]


def audit_actions() -> list[str]:
    """The audit log's actions, oldest first, without the issuing of test tokens."""
    from shequn.audit.models import AuditAction, AuditEntry

    entries = AuditEntry.objects.exclude(action=AuditAction.ISSUE_TOKEN).order_by("id")
    return list(entries.values_list("action", flat=True))
