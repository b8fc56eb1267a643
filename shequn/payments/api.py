"""API v1 of payments."""

from ninja import Router

router = Router(tags=["payments"])
