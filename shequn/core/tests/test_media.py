"""Uploaded media served by the app (embedded mode): images inline and safe, nothing else."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.http import http_date
from PIL import Image

from shequn.organizations.services import create_community


def _write(settings, relative: str, content: bytes) -> Path:
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def anon() -> Client:
    return Client()


def test_uploaded_cover_is_served_inline_with_safe_headers(org_admin, chapter, scope_of, anon):
    community = create_community(
        actor=scope_of(org_admin),
        chapter=chapter,
        kind="regional",
        name="上海沙龙群",
        slug="salon",
        cover=SimpleUploadedFile("cover.png", _png()),
    )
    response = anon.get(community.cover.url)
    assert community.cover.url.startswith("/media/communities/covers/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert Image.open(io.BytesIO(_body(response))).size == (4, 4)


@pytest.mark.parametrize(
    ("suffix", "content_type"),
    [
        (".jpg", "image/jpeg"),
        (".jpeg", "image/jpeg"),
        (".webp", "image/webp"),
        (".gif", "image/gif"),
    ],
)
def test_each_image_type_has_its_content_type(settings, anon, suffix, content_type):
    _write(settings, f"members/avatars/a{suffix}", b"bytes")
    response = anon.get(f"/media/members/avatars/a{suffix}")
    assert (response.status_code, response["Content-Type"]) == (200, content_type)


@pytest.mark.parametrize("name", ["x.html", "x.svg", "x.js", "x.png.html", "x", "secret_key"])
def test_files_other_than_images_are_not_served(settings, anon, name):
    _write(settings, f"members/avatars/{name}", b"<script>alert(1)</script>")
    response = anon.get(f"/media/members/avatars/{name}")
    assert response.status_code == 404
    assert b"<script>" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "../outside.png",
        "members/../../outside.png",
        "%2e%2e/outside.png",
        "members/%2e%2e/%2e%2e/outside.png",
        "..%2foutside.png",
        "%2Ftmp%2Foutside.png",
    ],
)
def test_path_traversal_is_refused(settings, anon, path):
    outside = Path(settings.MEDIA_ROOT).parent / "outside.png"
    outside.write_bytes(_png())
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    response = anon.get(f"/media/{path}")
    assert response.status_code == 404
    assert outside.read_bytes() == _png()


def test_symlink_out_of_media_root_is_refused(settings, anon):
    outside = Path(settings.MEDIA_ROOT).parent / "elsewhere.png"
    outside.write_bytes(_png())
    link = Path(settings.MEDIA_ROOT) / "members" / "link.png"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    assert anon.get("/media/members/link.png").status_code == 404


def test_missing_file_and_directory_are_404(settings, anon):
    _write(settings, "members/avatars/a.png", _png())
    assert anon.get("/media/members/avatars/b.png").status_code == 404
    assert anon.get("/media/members/avatars/").status_code == 404


def test_off_when_the_proxy_serves_media(settings, anon):
    settings.SHEQUN_SERVE_MEDIA = False
    _write(settings, "members/avatars/a.png", _png())
    assert anon.get("/media/members/avatars/a.png").status_code == 404


def test_post_is_refused(settings, anon):
    _write(settings, "members/avatars/a.png", _png())
    assert anon.post("/media/members/avatars/a.png").status_code == 405


def test_not_modified_since(settings, anon):
    path = _write(settings, "members/avatars/a.png", _png())
    since = http_date(path.stat().st_mtime + 10)
    response = anon.get("/media/members/avatars/a.png", headers={"if-modified-since": since})
    assert response.status_code == 304
    assert response["X-Content-Type-Options"] == "nosniff"
