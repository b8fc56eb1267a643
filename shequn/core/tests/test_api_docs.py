"""The OpenAPI schema (snapshot in docs/openapi.json) and the Swagger UI at /api/docs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from config.api import api

SNAPSHOT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def current_schema() -> dict[str, Any]:
    schema = api.get_openapi_schema()
    return json.loads(json.dumps(schema, cls=DjangoJSONEncoder))


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_openapi_matches_the_snapshot(db):
    """Set UPDATE_SNAPSHOTS=1 to rewrite docs/openapi.json after a deliberate change."""
    schema = current_schema()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(render(schema), encoding="utf-8")
    assert json.loads(SNAPSHOT.read_text(encoding="utf-8")) == schema


def test_openapi_is_deterministic(db):
    assert render(current_schema()) == render(current_schema())


def test_openapi_json_is_served_without_a_token(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["info"]["title"] == "shequn API"
    assert "/api/v1/communities" in document["paths"]
    assert document["components"]["securitySchemes"] == {
        "ApiTokenAuth": {"scheme": "bearer", "type": "http"}
    }


# Payment providers call these: their signature is the authentication (docs/payments.md).
SIGNED_NOTIFICATIONS = {
    ("post", "/api/v1/payments/wechatpay/notify"),
    ("post", "/api/v1/payments/webhook/notify"),
}


def test_every_operation_needs_the_token(db):
    unsigned = set()
    for path, operations in current_schema()["paths"].items():
        for method, operation in operations.items():
            if (method, path) in SIGNED_NOTIFICATIONS:
                unsigned.add((method, path))
                assert "security" not in operation, (method, path)
                continue
            assert operation["security"] == [{"ApiTokenAuth": []}], (method, path)
    assert unsigned == SIGNED_NOTIFICATIONS


def test_docs_page_renders_swagger_from_local_assets(db):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert '"url": "/api/v1/openapi.json"' in html
    assert 'id="swagger-ui"' in html
    assert "http://" not in html
    assert "https://" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == [
        "/api/v1/docs/assets/favicon.png",
        "/api/v1/docs/assets/swagger-ui-bundle.js",
        "/api/v1/docs/assets/swagger-ui-init.js",
        "/api/v1/docs/assets/swagger-ui.css",
    ]
    for url in assets:
        asset = Client().get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css")],
)
def test_asset_types(db, name, content_type):
    response = Client().get(f"/api/v1/docs/assets/{name}")
    assert response["Content-Type"] == content_type
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.parametrize("name", ["redoc.standalone.js", "..%2F..%2Fmain.py", "settings.py"])
def test_only_the_swagger_assets_are_served(db, name):
    assert Client().get(f"/api/v1/docs/assets/{name}").status_code == 404
