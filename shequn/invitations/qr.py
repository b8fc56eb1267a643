"""QR codes of invite links (segno): PNG to print, SVG to scale, both of the landing address."""

from __future__ import annotations

import io

import segno
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from shequn.invitations.models import InviteLink

PNG_SCALE = 12  # pixels per module: a 33-module code is ~500 px, sharp on an A4 poster
SVG_SCALE = 8


def landing_url(request: HttpRequest, link: InviteLink) -> str:
    """The absolute address the link's QR code encodes: /c/i/<code>/ on this site."""
    return request.build_absolute_uri(
        reverse("invitations_portal:landing", kwargs={"code": link.code})
    )


def _make(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def qr_png(url: str, *, scale: int = PNG_SCALE) -> bytes:
    buffer = io.BytesIO()
    _make(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(url: str, *, scale: int = SVG_SCALE) -> bytes:
    buffer = io.BytesIO()
    _make(url).save(buffer, kind="svg", scale=scale, border=4, title=url)
    return buffer.getvalue()


def qr_svg_inline(url: str, *, scale: int = SVG_SCALE) -> str:
    """An <svg> element to put in a page (no XML declaration), sized by CSS."""
    svg: str = _make(url).svg_inline(scale=scale, border=4, omitsize=True)
    return svg


def _file_name(link: InviteLink, extension: str) -> str:
    return f"invite-{link.community.slug}-{link.code}.{extension}"


def qr_download(request: HttpRequest, link: InviteLink, *, kind: str) -> HttpResponse:
    """The link's QR code as an attachment (`kind` "png" or "svg")."""
    url = landing_url(request, link)
    if kind == "png":
        response = HttpResponse(qr_png(url), content_type="image/png")
    else:
        response = HttpResponse(qr_svg(url), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(link, kind)}"'
    response["Cache-Control"] = "private, max-age=300"
    return response
