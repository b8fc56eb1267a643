"""Validation of uploaded images (avatars, covers): real image content, allowed type, size."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError


def validate_image_upload(upload: UploadedFile[bytes]) -> None:
    """Raise ValidationError unless `upload` is a JPEG/PNG/WebP/GIF image within the size limit."""
    max_bytes: int = settings.SHEQUN_IMAGE_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("The image is %(size)s KB; the largest allowed is %(max)s KB."),
            code="image_too_large",
            params={"size": upload.size // 1024, "max": max_bytes // 1024},
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("The file is not an image. Upload a JPEG, PNG, WebP or GIF picture."),
            code="not_an_image",
        ) from exc
    finally:
        upload.seek(0)
    if image_format not in settings.SHEQUN_IMAGE_FORMATS:
        raise ValidationError(
            _("Images of type %(type)s are not accepted. Upload a JPEG, PNG, WebP or GIF picture."),
            code="image_type",
            params={"type": image_format},
        )
