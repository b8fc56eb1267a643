"""API v1 of applications."""

from ninja import Router

router = Router(tags=["applications"])
