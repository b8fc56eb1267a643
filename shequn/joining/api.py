"""API v1 of joining."""

from ninja import Router

router = Router(tags=["joining"])
