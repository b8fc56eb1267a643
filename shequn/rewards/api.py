"""API v1 of rewards."""

from ninja import Router

router = Router(tags=["rewards"])
