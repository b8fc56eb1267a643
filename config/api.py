"""The one NinjaAPI of shequn: /api/v1/. Each app adds its Router here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.openapi.views import openapi_view

api = NinjaAPI(
    title="shequn API",
    version="1.0.0",
    urls_namespace="api",
    docs_url=None,
)


def api_docs(request: HttpRequest) -> HttpResponse:
    """Interactive API documentation at /api/docs."""
    return openapi_view(request, api)
