"""The one NinjaAPI of shequn: /api/v1/. Each app adds its Router here.

Errors are RFC 9457 problem documents (shequn.core.problems), for every status: 4xx, 405 of
a known path, 404 of an unknown one, 413 and 500. JSON is UTF-8 without escapes. The Swagger
UI at /api/docs loads its scripts and styles from this server (django-ninja's bundled copy),
never a CDN.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template import engines
from django.urls import URLPattern, URLResolver, path, re_path, reverse
from django.views.decorators.cache import cache_control
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase
from ninja.openapi.views import openapi_view

from shequn.accounts.api import ApiTokenAuth
from shequn.accounts.api import router as accounts_router
from shequn.activity.api import router as activity_router
from shequn.applications.api import router as applications_router
from shequn.core.problems import (
    PROBLEM_SCHEMA,
    JsonBodyParser,
    install_problem_handlers,
    method_not_allowed,
    not_found,
)
from shequn.core.ratelimit import install_rate_limit_handler
from shequn.core.renderers import Utf8JSONRenderer
from shequn.imports.api import router as imports_router
from shequn.invitations.api import router as invitations_router
from shequn.joining.api import router as joining_router
from shequn.ladder.api import router as ladder_router
from shequn.layers.api import router as layers_router
from shequn.members.api import router as members_router
from shequn.members.merge_api import router as merge_router
from shequn.organizations.api import router as organizations_router
from shequn.payments.api import router as payments_router
from shequn.points.api import router as points_router
from shequn.points.exit_api import router as exit_reviews_router
from shequn.points.leaderboard_api import router as leaderboards_router
from shequn.profiles.api import router as profiles_router
from shequn.profiles.recompute_api import router as recompute_router
from shequn.rewards.api import router as rewards_router
from shequn.segments.api import router as segments_router
from shequn.tags.api import router as tags_router

NINJA_STATIC = Path(ninja.__file__).parent / "static" / "ninja"
DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}
DOCS_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ LANGUAGE_CODE|default:'zh-hans' }}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }}</title>
  <link rel="stylesheet" href="{{ css_url }}">
  <link rel="icon" href="{{ favicon_url }}" type="image/png">
</head>
<body data-csrf-token="" data-api-csrf="">
  {{ swagger_settings|json_script:"swagger-settings" }}
  <div id="swagger-ui"></div>
  <script src="{{ bundle_url }}"></script>
  <script src="{{ init_url }}"></script>
</body>
</html>
"""


def _asset_url(name: str) -> str:
    return reverse("api:docs-asset", kwargs={"name": name})


class LocalSwagger(DocsBase):
    """Swagger UI with ninja's bundled assets, served by this app (works offline)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        context = {
            "title": api.title,
            "swagger_settings": {
                "url": self.get_openapi_url(api, kwargs),
                "layout": "BaseLayout",
                "deepLinking": True,
                "persistAuthorization": False,
            },
            "css_url": _asset_url("swagger-ui.css"),
            "favicon_url": _asset_url("favicon.png"),
            "bundle_url": _asset_url("swagger-ui-bundle.js"),
            "init_url": _asset_url("swagger-ui-init.js"),
        }
        html = engines["django"].from_string(DOCS_TEMPLATE).render(context, request)
        return HttpResponse(html)


@cache_control(public=True, max_age=24 * 3600)
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    """One of the Swagger UI files that django-ninja ships."""
    if name not in DOCS_ASSETS:
        raise Http404(name)
    return FileResponse((NINJA_STATIC / name).open("rb"), content_type=DOCS_ASSETS[name])


def _problem_on_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            return method_not_allowed(response)
        return response

    wrapped.csrf_exempt = getattr(view, "csrf_exempt", False)  # type: ignore[attr-defined]
    return wrapped


class ShequnAPI(NinjaAPI):
    """NinjaAPI whose 405 and unknown-path 404 answers are problem documents, with the local
    docs assets and the Problem schema in the OpenAPI."""

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _problem_on_405(pattern.callback)
        urls.append(path("docs/assets/<str:name>", docs_asset, name="docs-asset"))
        urls.append(re_path(r"^(?P<rest>.*)$", not_found, name="not-found"))
        return urls

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        return schema


api = ShequnAPI(
    title="shequn API",
    version="1.0.0",
    description=(
        "The API of shequn, a community operations platform. Authenticate with a personal "
        "API token: `Authorization: Bearer <token>` (`manage.py create_api_token USERNAME`). "
        "Errors are RFC 9457 problem documents (`application/problem+json`)."
    ),
    urls_namespace="api",
    docs=LocalSwagger(),
    docs_url=None,
    auth=ApiTokenAuth(),
    parser=JsonBodyParser(),
    renderer=Utf8JSONRenderer(),
)
install_problem_handlers(api)
install_rate_limit_handler(api)
api.add_router("", accounts_router)
api.add_router("", organizations_router)
api.add_router("", members_router)
api.add_router("", activity_router)
api.add_router("", imports_router)
api.add_router("", merge_router)
api.add_router("", invitations_router)
api.add_router("", applications_router)
api.add_router("", payments_router)
api.add_router("", joining_router)
api.add_router("", ladder_router)
api.add_router("", layers_router)
api.add_router("", recompute_router)
api.add_router("", tags_router)
api.add_router("", segments_router)
api.add_router("", profiles_router)
api.add_router("", points_router)
api.add_router("", leaderboards_router)
api.add_router("", exit_reviews_router)
api.add_router("", rewards_router)


def api_docs(request: HttpRequest) -> HttpResponse:
    """Interactive API documentation at /api/docs."""
    return openapi_view(request, api)


__all__ = ["api", "api_docs"]
