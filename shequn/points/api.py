"""API v1 of points."""

from ninja import Router

router = Router(tags=["points"])
