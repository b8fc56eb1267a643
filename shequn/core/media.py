"""Serving uploaded media (avatars, covers) in the embedded mode (`serve`, `make run`).

On by default (`SHEQUN_SERVE_MEDIA=1`); larger deployments let the reverse proxy serve
`MEDIA_ROOT` instead (docs/deployment.md) and turn it off. Only our image types are served, inline,
with their own Content-Type, `nosniff` and a sandboxing Content-Security-Policy, so an uploaded
file can never run as a page of this site; any other file, a path outside `MEDIA_ROOT` and a
missing file are 404.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponseBase,
    HttpResponseNotModified,
)
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

# The only types we store (shequn.core.images writes .jpg/.png/.webp; older uploads may be
# .jpeg/.gif). Anything else under MEDIA_ROOT is not served.
IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
# Stored names are generated and never reused, so a file under a name never changes.
CACHE_CONTROL = "public, max-age=31536000, immutable"
MEDIA_CSP = "default-src 'none'; sandbox"


def _media_file(path: str) -> Path:
    """The file of MEDIA_ROOT that `path` names, or Http404 (also for `..` and absolute paths)."""
    root = Path(settings.MEDIA_ROOT).resolve()
    if "\x00" in path or "\\" in path:
        raise Http404
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or candidate == root or not candidate.is_file():
        raise Http404
    if candidate.suffix.lower() not in IMAGE_TYPES:
        raise Http404
    return candidate


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponseBase:
    if not settings.SHEQUN_SERVE_MEDIA:
        raise Http404
    file = _media_file(path)
    stat = file.stat()
    if not was_modified_since(request.headers.get("if-modified-since"), int(stat.st_mtime)):
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        response = FileResponse(file.open("rb"), content_type=IMAGE_TYPES[file.suffix.lower()])
        response["Content-Disposition"] = "inline"
        response["Last-Modified"] = http_date(stat.st_mtime)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Security-Policy"] = MEDIA_CSP
    return response
