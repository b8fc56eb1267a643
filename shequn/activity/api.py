"""Activities over the API: batch ingestion, the stream with filters and keyset pagination."""

from __future__ import annotations

from ninja import Router

router = Router()
