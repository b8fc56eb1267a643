"""The API's JSON: UTF-8 as it is (`"上海"`, not `"\\u4e0a\\u6d77"`), `charset=utf-8` declared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ninja.renderers import JSONRenderer


class Utf8JSONRenderer(JSONRenderer):
    """django-ninja's JSON renderer without ASCII escapes."""

    charset = "utf-8"
    json_dumps_params: Mapping[str, Any] = {"ensure_ascii": False}
