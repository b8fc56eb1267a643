"""Shapes of the accounts API."""

from __future__ import annotations

from ninja import Schema


class OrganizationOut(Schema):
    id: int
    name: str
    slug: str


class MeOut(Schema):
    """The operator account an API token acts for, and its scope."""

    username: str
    role: str
    organization: OrganizationOut
    chapter_ids: list[int]
    community_ids: list[int]
