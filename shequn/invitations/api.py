"""API v1 of invitations."""

from ninja import Router

router = Router(tags=["invitations"])
