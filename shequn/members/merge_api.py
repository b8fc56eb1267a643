"""Identity merge over the API: suggestions (list, accept, reject), merge and unmerge."""

from __future__ import annotations

from ninja import Router

router = Router()
