"""Imports over the API: upload a file, follow its job, download its rejected rows."""

from __future__ import annotations

from ninja import Router

router = Router()
