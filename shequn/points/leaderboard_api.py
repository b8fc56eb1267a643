"""API v1 of leaderboards."""

from ninja import Router

router = Router(tags=["leaderboards"])
