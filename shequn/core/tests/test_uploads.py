"""Uploaded images: pixel limits before decoding, re-encoding, generated names, no metadata."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, PngImagePlugin

from shequn.core.images import prepare_image_upload
from shequn.members.models import Member
from shequn.members.services import create_member
from shequn.organizations.models import Community
from shequn.organizations.services import create_community

TRAILER = b"<script>alert(document.cookie)</script>"
BOMB_MESSAGE_ZH = "图片像素过多；最大允许 4096×4096 像素（16.8 百万像素）。"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height (a few KB: the rows are never sent)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + 3 * min(width, 1000)) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def _gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 14.0, 0.0),
    }
    return exif


def _png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "private note")
    buffer = io.BytesIO()
    Image.new("RGB", (24, 12), "red").save(buffer, format="PNG", pnginfo=info, exif=_gps_exif())
    return buffer.getvalue() + TRAILER


def _jpeg_with_gps(size: tuple[int, int] = (20, 10), orientation: int = 1) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, format="JPEG", exif=_gps_exif(orientation))
    return buffer.getvalue()


def _media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _refusal(content: bytes, name: str = "a.png") -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        prepare_image_upload(SimpleUploadedFile(name, content, content_type="image/png"))
    return exc.value


# --- limits checked from the header -------------------------------------------------------------


def test_decompression_bomb_is_refused_before_decoding(settings) -> None:
    settings.LANGUAGE_CODE = "en"
    content = _png_claiming(20000, 20000)
    assert len(content) < settings.SHEQUN_IMAGE_MAX_BYTES
    error = _refusal(content)
    assert error.code == "image_dimensions"
    assert error.messages == [
        "The image has too many pixels; the largest allowed is 4096×4096 pixels (16.8 megapixels)."
    ]


def test_144_megapixels_are_refused_with_the_dimensions(settings) -> None:
    settings.LANGUAGE_CODE = "en"
    error = _refusal(_png_claiming(12000, 12000))
    assert error.code == "image_dimensions"
    assert error.messages == [
        "The image is 12000×12000 pixels; the largest allowed is 4096×4096 pixels "
        "(16.8 megapixels)."
    ]


def test_one_side_too_long_is_refused(settings) -> None:
    error = _refusal(_png_claiming(4097, 10))
    assert error.code == "image_dimensions"


def test_limits_come_from_settings(settings) -> None:
    settings.SHEQUN_IMAGE_MAX_SIDE = 64
    settings.SHEQUN_IMAGE_MAX_PIXELS = 64 * 32
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "white").save(buffer, format="PNG")
    prepared = prepare_image_upload(SimpleUploadedFile("ok.png", buffer.getvalue()))
    assert Image.open(prepared).size == (64, 32)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 33), "white").save(buffer, format="PNG")
    assert _refusal(buffer.getvalue()).code == "image_dimensions"


def test_truncated_image_is_not_an_image() -> None:
    # within the limits, but the file stops in the middle of its rows: decoding fails
    assert _refusal(_png_claiming(400, 300)[:60]).code == "not_an_image"


def test_other_formats_are_refused() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="BMP")
    assert _refusal(buffer.getvalue(), "a.bmp").code == "image_type"


# --- re-encoding ------------------------------------------------------------------------------


def test_png_named_html_is_reencoded_under_a_generated_png_name() -> None:
    upload = SimpleUploadedFile("x.html", _png_with_metadata(), content_type="text/html")
    prepared = prepare_image_upload(upload)
    assert re.fullmatch(r"[0-9a-f]{32}\.png", str(prepared.name))
    data = prepared.read()
    assert data.endswith(_chunk(b"IEND", b""))
    assert TRAILER not in data
    assert b"private note" not in data
    assert b"SecretCam" not in data
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size, image.mode) == ("PNG", (24, 12), "RGB")
    assert "exif" not in image.info
    assert "Comment" not in image.info
    assert dict(image.getexif()) == {}


def test_jpeg_loses_exif_and_gps_and_is_turned_upright() -> None:
    # orientation 6: the camera was turned; the stored picture is rotated to stand upright
    prepared = prepare_image_upload(SimpleUploadedFile("p.jpeg", _jpeg_with_gps(orientation=6)))
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", str(prepared.name))
    data = prepared.read()
    assert b"SecretCam" not in data
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size) == ("JPEG", (10, 20))
    assert "exif" not in image.info
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}


def test_animated_gif_becomes_a_png_of_its_first_frame() -> None:
    frames = [Image.new("P", (8, 8), colour) for colour in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    prepared = prepare_image_upload(SimpleUploadedFile("a.gif", buffer.getvalue()))
    assert str(prepared.name).endswith(".png")
    image = Image.open(prepared)
    assert (image.format, getattr(image, "n_frames", 1)) == ("PNG", 1)


def test_transparency_is_kept_in_png_and_webp() -> None:
    for fmt, ext in (("PNG", "png"), ("WEBP", "webp")):
        buffer = io.BytesIO()
        Image.new("RGBA", (8, 8), (255, 0, 0, 0)).save(buffer, format=fmt)
        prepared = prepare_image_upload(SimpleUploadedFile(f"a.{ext}", buffer.getvalue()))
        image = Image.open(prepared)
        assert (str(prepared.name).rsplit(".", 1)[1], image.format, image.mode) == (
            ext,
            fmt,
            "RGBA",
        )


def test_cmyk_jpeg_is_stored_as_rgb() -> None:
    buffer = io.BytesIO()
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(buffer, format="JPEG")
    prepared = prepare_image_upload(SimpleUploadedFile("a.jpg", buffer.getvalue()))
    assert Image.open(prepared).mode == "RGB"


# --- every upload path uses it ----------------------------------------------------------------


def test_member_avatar_is_stored_reencoded(org_admin, chapter, scope_of, settings) -> None:
    upload = SimpleUploadedFile("x.html", _png_with_metadata(), content_type="text/html")
    member = create_member(
        actor=scope_of(org_admin), display_name="王五", chapter=chapter, avatar=upload
    )
    assert re.fullmatch(r"members/avatars/[0-9a-f]{32}\.png", str(member.avatar.name))
    [stored] = _media_files(settings)
    data = stored.read_bytes()
    assert TRAILER not in data
    assert b"private note" not in data
    assert "exif" not in Image.open(stored).info


def test_community_images_are_stored_reencoded(org_admin, chapter, scope_of, settings) -> None:
    community = create_community(
        actor=scope_of(org_admin),
        chapter=chapter,
        kind="regional",
        name="上海沙龙群",
        slug="salon",
        avatar=SimpleUploadedFile("a.jpg.html", _jpeg_with_gps()),
        cover=SimpleUploadedFile("cover.png", _png_with_metadata()),
    )
    assert re.fullmatch(r"communities/avatars/[0-9a-f]{32}\.jpg", str(community.avatar.name))
    assert re.fullmatch(r"communities/covers/[0-9a-f]{32}\.png", str(community.cover.name))
    for stored in _media_files(settings):
        data = stored.read_bytes()
        assert b"SecretCam" not in data
        assert TRAILER not in data


def test_bomb_in_console_form_is_a_translated_error_and_stores_nothing(
    client_as, org_admin, chapter, settings
) -> None:
    response = client_as("org_admin").post(
        "/communities/new/",
        {
            "chapter": str(chapter.pk),
            "kind": "regional",
            "access": "open",
            "name": "上海沙龙群",
            "slug": "salon",
            "capacity": "200",
            "starts_at": "2026-03-01T20:00",
            "cover": SimpleUploadedFile("bomb.png", _png_claiming(20000, 20000)),
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("cover", code="image_dimensions")
    assert form.errors["cover"] == [BOMB_MESSAGE_ZH]
    assert Community.objects.count() == 0
    assert _media_files(settings) == []


def test_144_mp_member_avatar_in_console_is_refused(client_as, org_admin, chapter, settings):
    before = Member.objects.count()
    response = client_as("org_admin").post(
        "/members/new/",
        {
            "display_name": "王五",
            "chapter": str(chapter.pk),
            "avatar": SimpleUploadedFile("big.png", _png_claiming(12000, 12000)),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("avatar", code="image_dimensions")
    assert Member.objects.count() == before
    assert _media_files(settings) == []


# --- the Django admin writes models directly: its forms prepare images too ---------------------


@pytest.fixture
def superuser_client(db):
    from django.test import Client

    from shequn.accounts.tests.factories import UserFactory

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _admin_member_data(org, upload: SimpleUploadedFile) -> dict[str, object]:
    return {
        "organization": str(org.pk),
        "display_name": "王五",
        "avatar": upload,
        "identities-TOTAL_FORMS": "0",
        "identities-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }


def test_admin_upload_is_reencoded(superuser_client, org, settings) -> None:
    upload = SimpleUploadedFile("x.html", _png_with_metadata(), content_type="text/html")
    response = superuser_client.post("/admin/members/member/add/", _admin_member_data(org, upload))
    assert response.status_code == 302, response.context["adminform"].form.errors
    member = Member.objects.get(display_name="王五")
    assert re.fullmatch(r"members/avatars/[0-9a-f]{32}\.png", str(member.avatar.name))
    [stored] = _media_files(settings)
    assert TRAILER not in stored.read_bytes()


def test_admin_refuses_the_bomb(superuser_client, org, settings) -> None:
    upload = SimpleUploadedFile("bomb.png", _png_claiming(20000, 20000))
    response = superuser_client.post("/admin/members/member/add/", _admin_member_data(org, upload))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.has_error("avatar", code="image_dimensions")
    assert not Member.objects.filter(display_name="王五").exists()
    assert _media_files(settings) == []
