"""Uploaded images (avatars, covers): checked, decoded within limits and re-encoded.

`prepare_image_upload` is the one entry point every upload path uses. It refuses files that are
too large in bytes or in pixels *before* decoding them (Pillow reads only the header on
`Image.open`), decodes the picture, applies its EXIF orientation, and writes a fresh file:
JPEG stays JPEG, PNG stays PNG, WebP stays WebP, and a GIF becomes a PNG of its first frame
(avatars and covers are still pictures; decoding every frame of an animation would multiply the
work an upload can cost). Nothing of the original bytes survives: no EXIF (GPS, camera), no XMP,
no text chunks, no comments, no trailing data; only the colour (ICC) profile is kept. The file is
named with a random hex name and the extension of the format actually written, whatever the
visitor called it.
"""

from __future__ import annotations

import io
import uuid
import warnings
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Format read → (format written, extension). A GIF is stored as a PNG of its first frame.
OUTPUT_FORMATS = {
    "JPEG": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
    "GIF": ("PNG", "png"),
}
JPEG_QUALITY = 88
WEBP_QUALITY = 85


def _not_an_image() -> ValidationError:
    return ValidationError(
        _("The file is not an image. Upload a JPEG, PNG, WebP or GIF picture."),
        code="not_an_image",
    )


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    max_side: int = settings.SHEQUN_IMAGE_MAX_SIDE
    max_pixels: int = settings.SHEQUN_IMAGE_MAX_PIXELS
    params = {
        "max_side": max_side,
        "max_megapixels": f"{max_pixels / 1_000_000:.1f}",
    }
    if width is None or height is None:
        return ValidationError(
            _(
                "The image has too many pixels; the largest allowed is %(max_side)s×%(max_side)s "
                "pixels (%(max_megapixels)s megapixels)."
            ),
            code="image_dimensions",
            params=params,
        )
    return ValidationError(
        _(
            "The image is %(width)s×%(height)s pixels; the largest allowed is "
            "%(max_side)s×%(max_side)s pixels (%(max_megapixels)s megapixels)."
        ),
        code="image_dimensions",
        params={**params, "width": width, "height": height},
    )


def _check_bytes(upload: UploadedFile[bytes]) -> None:
    max_bytes: int = settings.SHEQUN_IMAGE_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("The image is %(size)s KB; the largest allowed is %(max)s KB."),
            code="image_too_large",
            params={"size": upload.size // 1024, "max": max_bytes // 1024},
        )


def _check_dimensions(width: int, height: int) -> None:
    max_side: int = settings.SHEQUN_IMAGE_MAX_SIDE
    max_pixels: int = settings.SHEQUN_IMAGE_MAX_PIXELS
    if width > max_side or height > max_side or width * height > max_pixels:
        raise _too_many_pixels(width, height)


def _output_mode(image: Image.Image, output_format: str) -> str:
    if image.mode == "L":
        return "L"
    if output_format == "JPEG":
        return "RGB"
    return "RGBA" if image.has_transparency_data else "RGB"


def _decode(content: bytes) -> Image.Image:
    """Open, check format and pixel dimensions from the header, then decode the first frame."""
    with warnings.catch_warnings():
        # Pillow warns above its own pixel limit (our limit below is lower and is checked from the
        # header before anything is decoded) and raises above twice its limit: a refusal too.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content))
        except Image.DecompressionBombError as exc:
            raise _too_many_pixels() from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise _not_an_image() from exc
        if image.format not in settings.SHEQUN_IMAGE_FORMATS or image.format not in OUTPUT_FORMATS:
            image.close()
            raise ValidationError(
                _(
                    "Images of type %(type)s are not accepted. "
                    "Upload a JPEG, PNG, WebP or GIF picture."
                ),
                code="image_type",
                params={"type": image.format},
            )
        width, height = image.size
        try:
            _check_dimensions(width, height)
            image.seek(0)
            image.load()
        except ValidationError:
            image.close()
            raise
        except Image.DecompressionBombError as exc:
            image.close()
            raise _too_many_pixels(width, height) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            image.close()
            raise _not_an_image() from exc
    return image


def prepare_image_upload(upload: UploadedFile[bytes]) -> ContentFile[bytes]:
    """The re-encoded picture of `upload`, under a generated name, or a ValidationError.

    Raises ValidationError (codes image_too_large, not_an_image, image_type, image_dimensions)
    with a message in the active language; nothing is written anywhere.
    """
    _check_bytes(upload)
    upload.seek(0)
    content = upload.read(settings.SHEQUN_IMAGE_MAX_BYTES + 1)
    upload.seek(0)
    with _decode(content) as image:
        output_format, extension = OUTPUT_FORMATS[str(image.format)]
        icc_profile = image.info.get("icc_profile")
        oriented = ImageOps.exif_transpose(image) or image
        clean = oriented.convert(_output_mode(oriented, output_format))
    clean.info = {}  # no EXIF, XMP, text chunks or comments are carried over
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if output_format == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif output_format == "WEBP":
        options.update(quality=WEBP_QUALITY)
    buffer = io.BytesIO()
    clean.save(buffer, format=output_format, **options)
    clean.close()
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


class PreparedImagesModelForm(forms.ModelForm):  # type: ignore[type-arg]
    """A ModelForm whose new image uploads go through `prepare_image_upload` (Django admin).

    The console and the API call the services, which prepare their images; the admin writes
    models directly, so its forms do it here: the same limits, re-encoding and generated names.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django's forms.ImageField decodes the upload itself (and allows any extension Pillow
        # knows); a plain file field leaves every check to prepare_image_upload in clean().
        for name, field in list(self.fields.items()):
            if isinstance(field, forms.ImageField):
                self.fields[name] = forms.FileField(
                    required=field.required,
                    label=field.label,
                    help_text=field.help_text,
                    widget=field.widget,
                )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        for field in self._meta.model._meta.get_fields():
            upload = cleaned.get(field.name)
            if isinstance(field, models.ImageField) and isinstance(upload, UploadedFile):
                try:
                    cleaned[field.name] = prepare_image_upload(upload)
                except ValidationError as exc:
                    self.add_error(field.name, exc)
        return cleaned
