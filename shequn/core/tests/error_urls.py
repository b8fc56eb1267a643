"""The project's URLs plus views that fail, for the error page tests."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("internal reason that must not be shown")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("internal reason that must not be shown")


urlpatterns = [
    path("boom/", boom),
    path("c/boom/", boom),
    path("forbidden/", forbidden),
    path("c/forbidden/", forbidden),
    path("suspicious/", suspicious),
    path("c/suspicious/", suspicious),
    *urlpatterns,
]
